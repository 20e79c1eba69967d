from __future__ import annotations

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casesys.core.i18n import N_
from casesys.extensions import db

# kind -> (English label, two-letter code used in case numbers)
AGENCY_KINDS: dict[str, tuple] = {
    "market_regulation": (N_("Market Regulation Administration"), "SJ"),
    "ip_office": (N_("Intellectual Property Office"), "ZS"),
    "copyright": (N_("Copyright Administration"), "BQ"),
    "agriculture": (N_("Agriculture and Rural Affairs"), "NY"),
    "forestry_grassland": (N_("Forestry and Grassland Administration"), "LC"),
    "customs": (N_("Customs"), "HG"),
    "public_security": (N_("Public Security"), "GA"),
    "procuratorate": (N_("People's Procuratorate"), "JC"),
    "court": (N_("People's Court"), "FY"),
    "mediation_org": (N_("IP Dispute Mediation Committee"), "TJ"),
    "arbitration": (N_("Arbitration Commission"), "ZC"),
    "protection_center": (N_("IP Protection Center"), "BH"),
    "coordination_office": (N_("Coordination Office"), "XT"),
}
PROVINCE_ONLY_KINDS = {"coordination_office", "protection_center"}
REGION_LEVELS = ("province", "prefecture", "county")


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(Enum(*REGION_LEVELS, name="region_level", native_enum=False,
                                            create_constraint=True, length=20))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    # "230000/230100/": a region's scope is every region whose path starts with its own.
    path: Mapped[str] = mapped_column(String(120), unique=True)

    parent: Mapped[Region | None] = relationship(remote_side=[code])

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


class Agency(db.Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(Enum(*AGENCY_KINDS, name="agency_kind", native_enum=False,
                                           create_constraint=True, length=30))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160))

    region: Mapped[Region] = relationship(lazy="joined", innerjoin=True)

    @property
    def number_code(self) -> str:
        return AGENCY_KINDS[self.kind][1]

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh
