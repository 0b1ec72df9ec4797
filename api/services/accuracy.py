"""Accuracy joined onto results for a response: the catalog and users' entries loaded once per request."""

from __future__ import annotations

from sqlmodel import Session, select

from api.schemas import ResultPublic
from shared.catalog.accuracy import AccuracyBook, unverified_accuracy
from shared.db.tables import CatalogEntry


def load_book(session: Session) -> AccuracyBook:
    """The accuracy book for this request: one query, whatever the number of results it serves."""
    return AccuracyBook.of(session.exec(select(CatalogEntry)).all())


def with_accuracy(result: ResultPublic, book: AccuracyBook) -> ResultPublic:
    for field, value in book.lookup(result.model, result.pretrained_tag, result.input_size).model_dump().items():
        setattr(result, field, value)
    result.accuracy_unverified = unverified_accuracy(result.calibration, result.top1)
    return result
