"""Filings per second: the translation service, end to end, vs CTranslate2 directly vs argostranslate per filing.

    .venv/bin/python benchmarks/translation_throughput.py [--filings 200] [--big-filings 30] [--repetitions 5]

Spanish filings to a Chinese-reading seller: es->zh has no model, so every filing goes through English
(two models), and a third of them carry glossary terms. Three measures, on the same models, decoding
settings (argostranslate's: beam 4, length penalty 0.2) and threads, in one process:
  service   the filings are posted through the API (POST /cases: a notice each, which queues a
            translation job), then the queued jobs run as the worker runs them (huey dequeue + execute):
            claim, sentence splitting, glossary, translation memory (cold: emptied before each run),
            limits, pivot, engine batches, the rows and the commit. "worker" times the jobs only;
            "end to end" adds the API requests.
  direct    ctranslate2.Translator.translate_batch on the same sentences, es->en then en->zh
            (tokenize, translate, decode; no glossary, no database);
  per filing  argostranslate.translate.translate(text, "es", "zh") once per filing (its own pivot).
Models: the tiny test model (1 layer, 1 head, ~100 pieces: compute is negligible, overheads show) and a
generated model of realistic shape (6 layers, 512 wide, 2048 feed-forward, 8 heads, 32,000 pieces, int8).
Each measure runs --repetitions times on fresh filings, all runs of a model in random order; the
median and the spread (min-max) are printed. Targets: service (worker) >= 0.85x direct,
>= 2x per filing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="odr-bench-"))
for var, sub in [
    ("XDG_DATA_HOME", "data"),
    ("XDG_CONFIG_HOME", "config"),
    ("XDG_CACHE_HOME", "cache"),
    ("ARGOS_PACKAGES_DIR", "unused"),
]:
    os.environ.setdefault(var, str(WORK / sub))
os.environ.setdefault("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")
os.environ.setdefault("ARGOS_INTRA_THREADS", "1")  # the same for all three; steadier on a shared machine
os.environ["ODR_QUEUE_PATH"] = str(WORK / "queue.sqlite3")  # the jobs wait here for this process to run them
os.environ.pop("ODR_REDIS_URL", None)

SHAPES = {
    "tiny (1 layer, ~100 pieces)": {},
    "6 layers x 512, 8 heads, 32k pieces": dict(layers=6, width=512, ffn=2048, heads=8, vocab_size=32000),
}
TERMS = ["el titular del derecho", "la prueba prima facie", "la buena fe", "la mala fe"]


def make_filings(n: int, seed: int) -> list[list[str]]:
    """n short filings of one or two unique sentences; every third one names a glossary term."""
    from tests.translation.argos_builder import WORDS

    rng = random.Random(seed)
    words = [row[1] for row in WORDS]
    filings, seen = [], set()
    while len(filings) < n:
        sentences = []
        for _ in range(rng.randint(1, 2)):
            sentence = " ".join(rng.choice(words) for _ in range(rng.randint(4, 9)))
            if len(filings) % 3 == 0 and not sentences:
                sentence += " y " + rng.choice(TERMS)
            sentence += rng.choice(".!?")
            if sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
        if sentences:
            filings.append(sentences)
    return filings


def spread(rates: list[float]) -> str:
    return f"{statistics.median(rates):8.1f}/s  ({min(rates):.1f}-{max(rates):.1f})"


def measure(label: str, shape: dict, n: int, repetitions: int, seed: int) -> dict:
    import argostranslate.translate
    from argostranslate import settings
    from sqlalchemy import delete, select

    from odr import create_app
    from odr.accounts.models import Role
    from odr.cases.models import Filing
    from odr.extensions import db
    from odr.queue import huey
    from odr.translation import services
    from odr.translation.models import SegmentMemory, Translation, TranslationStatus
    from odr.translation.packages import do_install
    from odr.translation.services import translate_task
    from tests.conftest import Api, make_account, notice_data
    from tests.translation.argos_builder import build_package

    home = Path(tempfile.mkdtemp(dir=WORK))
    packages = home / "packages"
    started = time.perf_counter()
    for pair in [("es", "en"), ("en", "zh")]:
        do_install(build_package(*pair, home / "archives", **shape), packages)
    print(f"{label}: models built and installed in {time.perf_counter() - started:.0f} s", flush=True)
    settings.package_data_dir, settings.package_dirs = packages, [packages]
    argostranslate.translate.get_installed_languages.cache_clear()
    argostranslate.translate.installed_translates.clear()
    app = create_app(
        {
            "INSTANCE_PATH": str(home),
            "DATABASE_URL": f"sqlite:///{home / 'odr.sqlite3'}",
            "ARGOS_PACKAGES_DIR": str(packages),
            "FLASK": {"RATELIMIT_ENABLED": False},  # the benchmark files 200 notices a run as one account
        }
    )
    huey.immediate = False

    rates: dict[str, list[float]] = {"service (worker)": [], "service (end to end)": [], "direct": [], "per filing": []}
    with app.app_context():
        db.create_all()
        holder = make_account(Role.RIGHT_HOLDER, "holder@bench.example")
        make_account(Role.SELLER, "seller@bench.example", country="CN", language="zh", tz="Asia/Shanghai")
        client = Api(app.test_client(), holder)
        work = services.pipeline()
        hops = [work.engine._load(m) for m in work.route("es", "zh")]

        def service(filings):
            db.session.execute(delete(SegmentMemory))  # a cold memory: every sentence reaches the engine
            db.session.commit()
            start = time.perf_counter()
            for sentences in filings:
                response = client.post(
                    "/cases",
                    notice_data(
                        seller_email="seller@bench.example",
                        text=" ".join(sentences),
                        language="es",
                        language_confirmed=True,
                    ),
                )
                assert response.status_code == 201, response.get_json()
            posted = time.perf_counter()
            while (task := huey.dequeue()) is not None:
                if isinstance(task, translate_task.task_class):  # the seller's e-mail jobs are not translation
                    huey.execute(task)
            done = time.perf_counter()
            db.session.remove()
            rows = db.session.scalars(
                select(Translation)
                .join(Filing, Filing.id == Translation.filing_id)
                .order_by(Translation.id.desc())
                .limit(len(filings))
            ).all()
            assert all(r.status == TranslationStatus.DONE and not r.incomplete for r in rows), [
                (r.status, r.last_error, r.untranslated) for r in rows
            ]
            assert all(r.pivot == "en" for r in rows)
            rates["service (worker)"].append(len(filings) / (done - posted))
            rates["service (end to end)"].append(len(filings) / (done - start))

        def direct(filings):
            sentences = [s for f in filings for s in f]
            start = time.perf_counter()
            for loaded in hops:
                tokens = [loaded.package.tokenizer.encode(s) for s in sentences]
                results = loaded.translator.translate_batch(
                    tokens,
                    beam_size=settings.beam_size,
                    replace_unknowns=True,
                    length_penalty=0.2,
                    max_batch_size=4096,
                    batch_type="tokens",
                )
                sentences = [loaded.package.tokenizer.decode(r.hypotheses[0]).lstrip(" ") for r in results]
            rates["direct"].append(len(filings) / (time.perf_counter() - start))

        def per_filing(filings):
            start = time.perf_counter()
            for sentences in filings:
                argostranslate.translate.translate(" ".join(sentences), "es", "zh")
            rates["per filing"].append(len(filings) / (time.perf_counter() - start))

        # Warm-up, not measured: models loaded, caches filled, the first requests served.
        warm = make_filings(3, seed - 1)
        service(warm), direct(warm), per_filing(warm)
        for values in rates.values():
            values.clear()
        runs = [(run, rep) for run in (service, direct, per_filing) for rep in range(repetitions)]
        random.Random(seed).shuffle(runs)
        for run, rep in runs:
            run(make_filings(n, seed * 100 + rep))
        db.session.remove()
        db.engine.dispose()
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=200, help="filings per run, tiny model")
    parser.add_argument("--big-filings", type=int, default=30, help="filings per run, realistic model")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--only", choices=["tiny", "big"], default=None)
    args = parser.parse_args()
    from argostranslate import settings

    print(
        f"threads: intra={settings.intra_threads or 'auto'} inter={settings.inter_threads}; "
        f"compute={settings.compute_type}; beam={settings.beam_size}; cpus={os.cpu_count()}; "
        f"repetitions={args.repetitions}, random order; es->zh through en; median (min-max)"
    )
    for (label, shape), n, key in zip(SHAPES.items(), (args.filings, args.big_filings), ("tiny", "big"), strict=True):
        if args.only not in (None, key):
            continue
        rates = measure(label, shape, n, args.repetitions, seed=len(label))
        print(f"\n{label}, {n} filings per run")
        for name, values in rates.items():
            print(f"  {name:<22} {spread(values)}")
        worker, direct, per_filing = (statistics.median(rates[k]) for k in ("service (worker)", "direct", "per filing"))
        print(f"  service/direct     {worker / direct:5.2f}x  (target >= 0.85x)")
        print(f"  service/per filing {worker / per_filing:5.2f}x  (target >= 2x)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
