"""Schema-driven fuzzing: schemathesis reads /api/v1/openapi.json from the app (in process, over
WSGI) and sends generated valid and invalid requests to every operation. No request may end in a
500, and every answer must match the document. Bounded by a fixed number of examples per operation
(about 20 s per database on a quiet machine), not by the clock, so a loaded machine cannot fail it."""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine import services
from engine.services import tokens
from tests.conftest import AGENCY

# MOTCUA_FUZZ_EXAMPLES=200 MOTCUA_FUZZ_RANDOM=1 explores further (and differently each run) by hand.
EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_target(ctx, officers, deployed):
    """An officer holding every role, and real dossiers and tasks for the generated requests to hit."""
    services.create_user(
        ctx,
        "tatca",
        "Tất Cả",
        AGENCY,
        ["intake_officer", "appraiser", "approver", "clerk", "supervisor", "designer", "reform_analyst"],
    )
    dossiers = [
        services.submit_dossier(ctx, "five_stage", AGENCY, {"exempt": False}, officers["intake"])
        for _ in range(2)
    ]
    task = services.get_dossier(ctx, dossiers[0].id).tasks[0]
    headers = {"Authorization": f"Bearer {tokens.create_token(ctx, 'tatca', 'fuzz').secret}"}
    known = {"dossier_id": dossiers[1].id, "task_id": str(task.id), "process_key": "five_stage"}
    return headers, known


@pytest.mark.slow
def test_fuzzing_the_api_from_its_openapi_document_finds_no_server_error(app, fuzz_target):
    fuzz_headers, known = fuzz_target
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    failures: list[str] = []
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        # generated ids rarely exist: also send generated data to a real dossier, task or process
        runs = [(mode, None) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        if names and names <= set(known):
            runs.append((GenerationMode.POSITIVE, {n: known[n] for n in names}))
        for mode, path_parameters in runs:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize="MOTCUA_FUZZ_RANDOM" not in os.environ,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case):
                response = case.call(headers=fuzz_headers)
                case.validate_response(response, checks=CHECKS, headers=fuzz_headers)

            began = time.monotonic()
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report
                failures.append(f"{operation.label} [{mode} {path_parameters or ''}]: {exc}")
            print(f"{operation.label} [{mode} {path_parameters or ''}] {time.monotonic() - began:.1f}s")
    print(f"fuzzed {len(operations)} operations in {time.monotonic() - started:.1f}s")
    assert not failures, "\n\n".join(failures)
