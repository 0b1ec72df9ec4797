"""The benchmark process re-checks a job's model name and kwargs before timm is called: a row written behind the API's
back (by hand, by an older API) cannot make timm read a file or download."""

from __future__ import annotations

import pytest

from shared.measurement.pipeline import BenchmarkError, BenchSpec, check_spec


def spec(**overrides: object) -> BenchSpec:
    values: dict[str, object] = dict(model="test_vit", backend="cpu", engine="openvino")
    return BenchSpec(**(values | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "says"), [
    ({"model": "hf-hub:timm/vit_base_patch16_224"}, "is refused: Speedboard builds timm architectures by name"),
    ({"model": "local-dir:/models/vit"}, "is refused"),
    ({"model": "test_vit", "pretrained_tag": "../../weights"}, "is refused"),
    ({"model": "test_vit", "pretrained_tag": "x:y"}, "is not a timm model name"),
    ({"model": "my_vit", "base_model": "hf_hub:timm/vit"}, "is refused"),
    ({"model": "my_vit", "base_model": "test_vit", "model_kwargs": {"pretrained_cfg_overlay": {"file": "/etc/passwd"}}},
     "kwargs.pretrained_cfg_overlay is refused"),
    ({"model": "my_vit", "base_model": "test_vit", "model_kwargs": {"checkpoint_path": "/tmp/w.pth"}},
     "kwargs.checkpoint_path is refused"),
    ({"model": "my_vit", "base_model": "test_vit", "model_kwargs": {"embed_dim": "/etc/passwd"}}, "strings are refused"),
    ({"model": "my_vit", "base_model": "test_vit", "model_kwargs": {"act_layer": 3}}, "is not an allowed argument"),
    ({"model": "my_vit", "base_model": "test_vit", "model_kwargs": {"depth": 1_000_000}}, "between 0 and 1,000"),
])
def test_a_hand_written_row_is_refused_before_timm_is_called(fields: dict[str, object], says: str) -> None:
    with pytest.raises(BenchmarkError, match=f"{says}.*; queue the job again through the API"):
        check_spec(spec(**fields))


def test_rows_the_api_writes_pass() -> None:
    check_spec(spec(pretrained_tag="augreg_in21k_ft_in1k"))
    check_spec(spec(model="my_vit", base_model="test_vit", model_kwargs={"depth": 1, "img_size": [160, 160]}))
