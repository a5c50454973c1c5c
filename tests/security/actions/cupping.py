"""Writes of cupping: sheets, gradings, signed originals, CSV imports, cupping requests."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.security.actions.base import (
    GRADER_MOD,
    GRADING,
    LOT_STATES,
    PUBLIC,
    Action,
    Ctx,
    becomes,
    caller,
    changes,
    creates,
    every,
    import_csv,
    pk,
    png,
    run_import_job,
    sca_values,
    target,
    yesterday,
)
from tests.security.matrix import (
    GRADER,
    GRADERS,
    NOBODY,
    OWNER,
)

ACTIONS: list[Action] = []
add = ACTIONS.append

# --- cupping --------------------------------------------------------------------------------------
# Graders cup public lots, and a private one only on request: the draft asks any verified grader,
# which a grader whose licence nobody has checked is not (they cannot take open requests).
CUPPABLE = every(PUBLIC, GRADERS) | {"draft": GRADER, "withdrawn": NOBODY}
add(
    Action(
        "cupping-sheet-list",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.CuppingSheet", lot=target, grader=caller, notes="matrix sheet"),
        parties=GRADERS,
        data=lambda c: (
            {
                "lot": c.target.pk,
                "protocol": "sca2004",
                "cupped_on": yesterday(),
                "independent": True,
                "notes": "matrix sheet",
            }
            | sca_values()
        ),
    )
)
add(
    Action(
        "cupping:sheet_new",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.CuppingSheet", lot=target, grader=caller, notes="matrix sheet"),
        parties=GRADERS,
        data=lambda c: (
            {"lot": c.target.pk, "cupped_on": yesterday(), "independent": "on", "notes": "matrix sheet"} | sca_values()
        ),
    )
)
add(
    Action(
        "green-grading-list",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.GreenGrading", lot=target, grader=caller, notes="matrix grading"),
        parties=GRADERS,
        data=lambda c: {"lot": c.target.pk, "graded_on": yesterday(), "notes": "matrix grading"} | GRADING,
    )
)
add(
    Action(
        "cupping:grading_new",
        "post",
        "lot",
        CUPPABLE,
        creates("cupping.GreenGrading", lot=target, grader=caller, notes="matrix grading"),
        parties=GRADERS,
        data=lambda c: {"lot": c.target.pk, "graded_on": yesterday(), "notes": "matrix grading"} | GRADING,
    )
)
for _route in ("cupping-sheet-withdraw", "cupping:sheet_withdraw"):
    add(
        Action(
            _route,
            "post",
            "sheet",
            {"active": GRADER_MOD},
            becomes(status="withdrawn"),
            kwargs=pk(),
            data=lambda c: {"reason": "matrix"},
        )
    )
for _route in ("green-grading-withdraw", "cupping:grading_withdraw"):
    add(
        Action(
            _route,
            "post",
            "grading",
            {"active": GRADER_MOD},
            becomes(status="withdrawn"),
            kwargs=pk(),
            data=lambda c: {"reason": "matrix"},
        )
    )
for _route in ("cupping-sheet-original", "cupping:sheet_original_upload"):
    add(
        Action(
            _route,
            "post",
            "sheet",
            {"active": GRADER},
            changes("original_sha256"),
            kwargs=pk(),
            data=lambda c: {"file": png((30, 30), "maroon")},
            fmt="multipart",
        )
    )


def _previewed(c: Ctx) -> None:
    """An upload is checked, then waits for its grader to confirm a preview: nothing is imported yet."""
    from core.models import Job
    from cupping.models import CuppingSheet

    job = Job.objects.filter(kind="cupping_import", owner=c.user).order_by("-created_at").first()
    assert job is not None, "no import job"
    assert job.status == Job.Status.PREVIEWED, f"the job is {job.status}: {job.message} {job.result}"
    assert [item["lot"] for item in job.result["preview"]["lots"]] == [c.target.pk], job.result
    assert not CuppingSheet.objects.filter(import_job=job.pk).exists(), "imported before the preview was confirmed"


add(
    Action(
        "cupping-import",
        "post",
        "lot",
        every(("listed",), GRADERS),
        _previewed,
        parties=GRADERS,
        data=lambda c: {"csv": import_csv(c.target)},
        after=run_import_job,
    )
)
add(
    Action(
        "cupping:import",
        "post",
        "lot",
        every(("listed",), GRADERS),
        _previewed,
        parties=GRADERS,
        data=lambda c: {"file": SimpleUploadedFile("s.csv", import_csv(c.target).encode(), content_type="text/csv")},
        after=run_import_job,
    )
)


def _other_grader(c: Ctx) -> Any:
    return c.w["unverified_grader" if c.role == "q_grader" else "q_grader"]


def _no_sheet_in_another_name(c: Ctx) -> None:
    """Imported sheets are always the uploader's own (issue 13): none may carry the named grader."""
    from cupping.models import CuppingSheet

    forged = CuppingSheet.objects.filter(lot=c.target, grader=_other_grader(c), notes="matrix import")
    assert not forged.exists(), f"the import made a sheet in the name of {_other_grader(c).email}"


def _named_csv(c: Ctx) -> str:
    return import_csv(c.target, _other_grader(c).email)


# A CSV whose grader column names another grader: whatever the answer, no sheet may carry their name.
for _route, _data in (
    ("cupping-import", lambda c: {"csv": _named_csv(c)}),
    (
        "cupping:import",
        lambda c: {"file": SimpleUploadedFile("s.csv", _named_csv(c).encode(), content_type="text/csv")},
    ),
):
    add(
        Action(
            _route,
            "post",
            "lot",
            {"listed": GRADERS},
            _no_sheet_in_another_name,
            parties=GRADERS,
            data=_data,
            label="in-another-graders-name",
            any_answer=GRADERS,
            after=run_import_job,
        )
    )

# Producers ask for cupping of their own lots, any but a withdrawn one.
ASKABLE = every(LOT_STATES, OWNER, withdrawn=NOBODY)
add(
    Action(
        "cupping-request-list",
        "post",
        "lot",
        ASKABLE,
        creates("cupping.CuppingRequest", lot=target, note="matrix request"),
        parties=OWNER,
        data=lambda c: {"lot": c.target.pk, "note": "matrix request"},
        refusal_codes=frozenset({400}),  # not one of your lots
    )
)
add(
    Action(
        "cupping:requests",
        "post",
        "lot",
        ASKABLE,
        creates("cupping.CuppingRequest", lot=target, note="matrix request"),
        parties=OWNER,
        data=lambda c: {"lot": c.target.pk, "grader": "", "protocol": "", "note": "matrix request"},
        refusal_codes=frozenset({400}),  # the lot is not one of a stranger's choices
    )
)
for _route in ("cupping-request-accept", "cupping:request_accept"):
    add(
        Action(
            _route,
            "post",
            "cupping_request",
            {"open": GRADER, "open_to_grader": GRADER},
            becomes(status="accepted", grader_id=lambda c: c.w["q_grader"].pk),
            kwargs=pk(),
        )
    )
for _route in ("cupping-request-cancel", "cupping:request_cancel"):
    add(
        Action(
            _route,
            "post",
            "cupping_request",
            every(("open", "open_to_grader", "accepted"), OWNER),
            becomes(status="cancelled"),
            kwargs=pk(),
        )
    )


# The grader who uploaded an import answers its preview: confirmed, the rows are written (by the
# worker, run here); cancelled, the job fails and nothing is written. Nobody else may answer it.
def _run_target_job(c: Ctx) -> None:
    from cupping.imports import cupping_import_run

    cupping_import_run(job_id=c.target.pk)


def _imported(c: Ctx) -> None:
    from cupping.models import CuppingSheet

    assert c.fresh().status == "succeeded", f"the job is {c.fresh().status}: {c.fresh().message}"
    sheets = CuppingSheet.objects.filter(import_job=c.target.pk)
    assert [(s.lot_id, s.grader_id, s.notes) for s in sheets] == [
        (c.w["at"]["lot"]["listed"].pk, c.w["q_grader"].pk, "matrix import")
    ], list(sheets)


def _cancelled(c: Ctx) -> None:
    from cupping.models import CuppingSheet

    assert c.fresh().status == "failed", f"the job is {c.fresh().status}"
    assert not CuppingSheet.objects.filter(import_job=c.target.pk).exists(), "sheets were written"


for _route, _effect in (
    ("cupping-import-confirm", _imported),
    ("cupping:import_confirm", _imported),
    ("cupping-import-cancel", _cancelled),
    ("cupping:import_cancel", _cancelled),
):
    add(
        Action(
            _route,
            "post",
            "import_job",
            {"previewed": GRADER},
            _effect,
            kwargs=lambda c: {"job_id": c.target.pk},
            after=_run_target_job,
        )
    )
