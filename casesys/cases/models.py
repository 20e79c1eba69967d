"""Cases, their parties and history, the numbering counters, and what decides who sees a case
and what search finds: links between cases, access granted to other agencies, former numbers.
The workflow engine writes the last three; they live here because cases reads them (and the
engine sits above cases)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from casesys.agencies.models import Agency, Region
from casesys.auth.models import User
from casesys.cases.catalog import IP_TYPES, PARTY_KINDS, PARTY_ROLES, SOURCES
from casesys.core.types import UTCDateTime, utcnow
from casesys.extensions import db

ACCESS_LEVELS = ("full", "status")


def _enum(values, name: str, length: int = 30):
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("agency_id", "number_year", "number_seq", name="uq_cases_agency_year_seq"),
        CheckConstraint("number_seq > 0", name="number_seq_positive"),
        CheckConstraint("amount_involved_fen IS NULL OR amount_involved_fen >= 0",
                        name="amount_not_negative"),
        CheckConstraint("fine_fen IS NULL OR fine_fen >= 0", name="fine_not_negative"),
        CheckConstraint("suspects_arrested IS NULL OR suspects_arrested >= 0", name="arrested_not_negative"),
        Index("ix_cases_agency_id_id", "agency_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    number_year: Mapped[int]
    number_seq: Mapped[int]
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    workflow: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    ip_type: Mapped[str] = mapped_column(_enum(IP_TYPES, "ip_type"), index=True)
    source: Mapped[str] = mapped_column(_enum(SOURCES, "case_source"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    received_on: Mapped[date] = mapped_column(index=True)
    # Money is kept in fen (分) as an integer: exact on SQLite and PostgreSQL alike.
    amount_involved_fen: Mapped[int | None] = mapped_column(BigInteger)
    is_confidential: Mapped[bool] = mapped_column(default=False)
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The agency the case came from when another agency's case opened it (a transfer, an
    # entrusted mediation); that agency fires the transitions whose side is "origin".
    origin_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    # Recorded when the case reaches a final state; the statistics count these.
    outcome: Mapped[str | None] = mapped_column(String(40))
    closed_on: Mapped[date | None] = mapped_column(index=True)
    # The first day in a milestone state (workflow data: `milestone: filed|solved`).
    filed_on: Mapped[date | None] = mapped_column(index=True)
    solved_on: Mapped[date | None] = mapped_column(index=True)
    suspects_arrested: Mapped[int | None]
    fine_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Indexed: its maximum is part of the statistics' data version (casesys.stats.snapshots).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, index=True)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True, foreign_keys=[agency_id])
    origin_agency: Mapped[Agency | None] = relationship(foreign_keys=[origin_agency_id])
    region: Mapped[Region] = relationship(lazy="joined", innerjoin=True)
    assigned_officer: Mapped[User | None] = relationship(foreign_keys=[assigned_officer_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    parties: Mapped[list[Party]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Party.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )
    clocks: Mapped[list[CaseClock]] = relationship(  # noqa: F821 (casesys.workflows.models)
        back_populates="case", cascade="all, delete-orphan", order_by="CaseClock.id"
    )

    # Optimistic locking: every UPDATE checks the version; the engine bumps it once per
    # transition (however many flushes the transition takes).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def amount_involved(self) -> Decimal | None:
        if self.amount_involved_fen is None:
            return None
        return Decimal(self.amount_involved_fen) / 100

    @amount_involved.setter
    def amount_involved(self, value: Decimal | None) -> None:
        self.amount_involved_fen = None if value is None else int((value * 100).to_integral_exact())


class Party(db.Model):
    __tablename__ = "parties"
    __table_args__ = (
        CheckConstraint("kind = 'organisation' OR uscc IS NULL", name="uscc_only_for_organisations"),
        CheckConstraint("kind = 'person' OR id_number IS NULL", name="id_number_only_for_persons"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(_enum(PARTY_ROLES, "party_role"))
    kind: Mapped[str] = mapped_column(_enum(PARTY_KINDS, "party_kind"))
    name: Mapped[str] = mapped_column(String(200))
    # 统一社会信用代码: the key that finds the same respondent across agencies.
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18))

    case: Mapped[Case] = relationship(back_populates="parties")


class CaseEvent(db.Model):
    """One line of a case's history: who did what, when, and with which data."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    effective_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


class CaseNumberCounter(db.Model):
    """The last number issued per agency and year; incremented inside the registering
    transaction, so a rolled-back registration leaves no gap."""

    __tablename__ = "case_number_counters"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class CaseLink(db.Model):
    """A related case: a criminal transfer from an administrative case, a judicial
    confirmation from a mediation, a court-entrusted mediation from a civil case."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("parent_id", "child_id", name="uq_case_links_parent_child"),
                      CheckConstraint("parent_id <> child_id", name="not_self"))

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[Case] = relationship(foreign_keys=[parent_id])
    child: Mapped[Case] = relationship(foreign_keys=[child_id])


class CaseAccess(db.Model):
    """Read access for an agency that does not own the case: ``full`` (the procuratorate's
    copy of a transfer, a receiver looking at a pending handoff) or ``status`` (a former
    owner: state and clocks, not later notes)."""

    __tablename__ = "case_access"
    __table_args__ = (UniqueConstraint("case_id", "agency_id", name="uq_case_access_case_agency"),
                      Index("ix_case_access_agency_id_case_id", "agency_id", "case_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    level: Mapped[str] = mapped_column(_enum(ACCESS_LEVELS, "access_level", length=20))
    reason: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agency: Mapped[Agency] = relationship()


class CaseFormerNumber(db.Model):
    """A number the case had before ownership moved; still found by search."""

    __tablename__ = "case_former_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    replaced_on: Mapped[date]

    agency: Mapped[Agency] = relationship()
