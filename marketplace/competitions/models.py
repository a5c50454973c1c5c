"""Competition results: a lot's placing in a named competition, which a moderator verifies.

DOMAIN.md §7: competition provenance is evidence. A lot placed in a named competition (Cup of
Excellence, a National Winner auction, Best of Panama, a national or regional contest) with its
year, rank and jury score is a record a moderator verifies; with a verified result a high price is
expected, not a red flag. Competition lots need not be nano-lots (CoE winners are commonly
300–1,500 kg), so provenance is its own record, never a side effect of the nano-lot alert tag.

This is a small app of its own rather than part of ``lots``: the record has its own lifecycle
(producer creates, moderator verifies or rejects, audited), its own pages and API, and pricing and
moderation read it as evidence, as they read cupping sheets.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lots.models import private_storage


class CompetitionKind(models.TextChoices):
    COE = "coe", _("Cup of Excellence")
    NATIONAL_WINNER = "national_winner", _("National Winner (Alliance for Coffee Excellence)")
    BEST_OF_PANAMA = "best_of_panama", _("Best of Panama")
    NATIONAL = "national", _("National contest")
    REGIONAL = "regional", _("Regional contest")
    OTHER = "other", _("Other competition or invitation auction")


# Kinds whose name alone does not say which contest it was: the record must name it.
NAME_REQUIRED = frozenset({CompetitionKind.NATIONAL, CompetitionKind.REGIONAL, CompetitionKind.OTHER})


class JuryProtocol(models.TextChoices):
    """The form the jury scored on: each is its own scale (DOMAIN.md §1), shown with the score."""

    COE = "coe", _("Cup of Excellence form")
    SCA2004 = "sca2004", _("SCA 2004 cupping form")
    CVA = "cva", _("SCA Coffee Value Assessment")
    OTHER = "other", _("Another form")


# Possible jury scores per form: CoE = 36 + 0–64 (DOMAIN.md §4), CVA affective 58–100 (§3).
JURY_SCORE_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    JuryProtocol.COE: (Decimal("36"), Decimal("100")),
    JuryProtocol.SCA2004: (Decimal("0"), Decimal("100")),
    JuryProtocol.CVA: (Decimal("58"), Decimal("100")),
    JuryProtocol.OTHER: (Decimal("0"), Decimal("100")),
}
FIRST_COMPETITION_YEAR = 1999  # the first Cup of Excellence (Brazil)


class ResultStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a moderator")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


# A moderator may reverse a decision when new information arrives; each move is audited.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ResultStatus.PENDING: frozenset({ResultStatus.VERIFIED, ResultStatus.REJECTED}),
    ResultStatus.VERIFIED: frozenset({ResultStatus.REJECTED}),
    ResultStatus.REJECTED: frozenset({ResultStatus.VERIFIED}),
}


def document_path(instance: CompetitionResult, filename: str) -> str:
    # Random names: nothing from the uploader's file name reaches the file system.
    return f"competitions/{uuid.uuid4().hex}"


class CompetitionResult(models.Model):
    lot = models.ForeignKey("lots.Lot", on_delete=models.CASCADE, related_name="competition_results")
    competition = models.CharField(_("competition"), max_length=20, choices=CompetitionKind.choices)
    name = models.CharField(
        _("name of the contest"),
        max_length=200,
        blank=True,
        help_text=_('e.g. "Cup of Excellence Ethiopia" or "Concurso Departamental de Cafés Especiales del Huila"'),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=120, blank=True, help_text=_('e.g. "Geisha Washed"'))
    rank = models.PositiveSmallIntegerField(_("rank"))
    jury_score = models.DecimalField(_("jury score"), max_digits=5, decimal_places=2)
    jury_protocol = models.CharField(_("scored on"), max_length=10, choices=JuryProtocol.choices)
    url = models.URLField(_("link to the published results"), max_length=500, blank=True)
    document = models.FileField(_("document"), upload_to=document_path, storage=private_storage, blank=True)
    document_name = models.CharField(max_length=200, blank=True)
    document_content_type = models.CharField(max_length=100, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ResultStatus.choices, default=ResultStatus.PENDING, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_reason = models.TextField(_("reason"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-year", "rank", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rank__gte=1), name="competition_rank_from_one"),
            models.CheckConstraint(
                condition=Q(jury_score__gte=0) & Q(jury_score__lte=100), name="competition_jury_score_range"
            ),
            # Evidence is a link to the published results or an uploaded document (or both).
            models.CheckConstraint(condition=~Q(url="") | ~Q(document=""), name="competition_has_evidence"),
            models.UniqueConstraint(
                fields=["lot", "competition", "name", "year", "category"],
                condition=~Q(status="rejected"),
                name="competition_result_once",
            ),
        ]
        indexes = [models.Index(fields=["lot", "status"])]
        verbose_name = _("competition result")
        verbose_name_plural = _("competition results")

    def __str__(self) -> str:
        return f"{self.title} (lot {self.lot_id}, {self.status})"

    @property
    def event(self) -> str:
        """The contest as people name it: "Cup of Excellence Ethiopia 2022"."""
        return f"{self.name or self.get_competition_display()} {self.year}"

    @property
    def title(self) -> str:
        """ "Cup of Excellence Ethiopia 2022, rank 1, 90.31 (Cup of Excellence form)"."""
        category = f" ({self.category})" if self.category else ""
        return str(
            _("%(event)s%(category)s, rank %(rank)s, %(score)s on the %(form)s")
            % {
                "event": self.event,
                "category": category,
                "rank": self.rank,
                "score": self.jury_score,
                "form": self.get_jury_protocol_display(),
            }
        )

    @property
    def is_verified(self) -> bool:
        return self.status == ResultStatus.VERIFIED
