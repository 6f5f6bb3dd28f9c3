"""Cost of the lifecycle's steps: acceptance (code + appointment), a receipt PDF, a signed result and
its verification. Prints medians; run with ``python benchmarks/lifecycle.py [--dossiers N]``."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import services  # noqa: E402
from engine.services import dossiers as lifecycle  # noqa: E402
from engine.services import stamping  # noqa: E402
from engine.store.db import Database  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from tests.lifecycle_support import make_world  # noqa: E402


def _median_ms(samples: list[float]) -> str:
    p95 = sorted(samples)[max(0, int(len(samples) * 0.95) - 1)]
    return f"{statistics.median(samples) * 1000:.1f} ms (p95 {p95 * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=30)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'bench.db'}"
    db = Database(url)
    upgrade(db.engine)
    db.dispose()
    world = make_world(url, tmp)
    accept, receipt, stamp, verify = [], [], [], []
    for _ in range(args.dossiers):
        dossier = world.submit()
        task = world.task(dossier.id, "intake")
        t = time.perf_counter()
        services.complete_task(world.ctx, task.id, world.officers["intake"], {"decision": "accept"})
        accept.append(time.perf_counter() - t)
        t = time.perf_counter()
        lifecycle.render_form(world.ctx, dossier.id, "receipt")
        receipt.append(time.perf_counter() - t)
        world.complete(dossier.id, "appraiser", appraisal="ok")
        world.complete(dossier.id, "approver")
        task = world.task(dossier.id, "clerk")
        t = time.perf_counter()
        services.complete_task(
            world.ctx, task.id, world.officers["clerk"], {"result_fields": {"Họ và tên": "A"}}
        )
        stamp.append(time.perf_counter() - t)
        _, pdf = lifecycle.result_document(world.ctx, dossier.id)
        t = time.perf_counter()
        assert stamping.verify_document(world.ctx, pdf).valid
        verify.append(time.perf_counter() - t)
    print(f"dossiers: {args.dossiers} (SQLite file)")
    print(f"accept (code + appointment, full use case): {_median_ms(accept)}")
    print(f"receipt PDF (form 01 with QR):              {_median_ms(receipt)}")
    print(f"stamping (use case incl. PDF + PAdES sign):  {_median_ms(stamp)}")
    print(f"verify a signed result:                      {_median_ms(verify)}")
    world.ctx.db.dispose()


if __name__ == "__main__":
    main()
