from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Stack


@pytest.fixture
def client(stack: Stack) -> Iterator[TestClient]:
    from api.main import app

    with TestClient(app) as test_client:
        yield test_client
