"""Sentences per second: the translation service vs CTranslate2 directly vs argostranslate per call.

    .venv/bin/python benchmarks/translation_throughput.py [--sentences 1000] [--big-sentences 120]

Same model, same decoding settings (argostranslate's: beam 4, length penalty 0.2), same threads, in one
process. Three measures per model:
  service   odr.translation pipeline: sentence splitting, glossary, translation memory (empty: cold),
            one batched engine call, memory writes and the commit;
  direct    ctranslate2.Translator.translate_batch on all sentences (tokenize + translate + decode);
  per call  argostranslate.translate.translate(sentence) for each sentence, as argostranslate is used.
Models: the tiny test model (compute is negligible, so overheads show) and a generated 6-layer,
512-wide Transformer with a 2048 feed-forward (compute dominates, like a real model).
Targets: service >= 0.8x direct, >= 5x per call.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="odr-bench-"))
for var, sub in [("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                 ("ARGOS_PACKAGES_DIR", "unused")]:
    os.environ.setdefault(var, str(WORK / sub))
os.environ.setdefault("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")


def sentences(n: int, seed: int) -> list[str]:
    from tests.translation.argos_builder import WORDS
    rng, seen = random.Random(seed), set()
    words = [row[0] for row in WORDS]
    while len(seen) < n:
        seen.add(" ".join(rng.choice(words) for _ in range(rng.randint(5, 12))) + rng.choice(".!?"))
    return sorted(seen)


def measure(label: str, sentences_in: list[str], per_call_n: int, **model) -> None:
    import argostranslate.package
    import argostranslate.translate
    from argostranslate import settings

    from odr import create_app
    from odr.extensions import db
    from odr.translation import services
    from tests.translation.argos_builder import build_package

    home = Path(tempfile.mkdtemp(dir=WORK))
    packages = home / "packages"
    packages.mkdir()
    settings.package_data_dir, settings.package_dirs = packages, [packages]
    argostranslate.package.install_from_path(build_package("en", "es", home, **model))
    argostranslate.translate.get_installed_languages.cache_clear()
    argostranslate.translate.installed_translates.clear()
    app = create_app({"INSTANCE_PATH": str(home), "DATABASE_URL": f"sqlite:///{home / 'odr.sqlite3'}",
                      "ARGOS_PACKAGES_DIR": str(packages)})
    filings = [" ".join(sentences_in[i:i + 5]) for i in range(0, len(sentences_in), 5)]

    with app.app_context():
        db.create_all()
        work = services.pipeline()
        loaded = work.engine._load(work.route("en", "es")[0])
        work.translate(["the dog sleeps."], "en", "es")  # load the model; this sentence is not measured
        db.session.commit()

        # direct: the same translator object and settings, no service around it
        tokenizer = loaded.package.tokenizer
        start = time.perf_counter()
        tokens = [tokenizer.encode(s) for s in sentences_in]
        results = loaded.translator.translate_batch(tokens, beam_size=settings.beam_size, replace_unknowns=True,
                                                    length_penalty=0.2, max_batch_size=4096, batch_type="tokens")
        direct_out = [tokenizer.decode(r.hypotheses[0]).lstrip(" ") for r in results]
        direct = len(sentences_in) / (time.perf_counter() - start)

        start = time.perf_counter()
        service_out = work.translate(filings, "en", "es")
        db.session.commit()
        service = len(sentences_in) / (time.perf_counter() - start)
        assert sum(r.memory_hits for r in service_out) == 0, "memory was not cold"
        assert " ".join(r.text for r in service_out) == " ".join(direct_out), "service and direct disagree"
        db.session.remove()
        db.engine.dispose()

    argostranslate.translate.translate("the dog sleeps.", "en", "es")  # load argostranslate's own copy
    sample = sentences_in[:per_call_n]
    start = time.perf_counter()
    for sentence in sample:
        argostranslate.translate.translate(sentence, "en", "es")
    per_call = len(sample) / (time.perf_counter() - start)
    print(f"{label:<34} service {service:8.1f}/s  direct {direct:8.1f}/s  per-call {per_call:8.1f}/s  "
          f"service/direct {service / direct:5.2f}x  service/per-call {service / per_call:6.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--big-sentences", type=int, default=120)
    args = parser.parse_args()
    from argostranslate import settings
    print(f"threads: intra={settings.intra_threads or 'auto'} inter={settings.inter_threads}; "
          f"compute={settings.compute_type}; beam={settings.beam_size}; cpus={os.cpu_count()}")
    measure(f"tiny (1 layer), {args.sentences} sent.", sentences(args.sentences, 1), min(300, args.sentences))
    measure(f"6 layers x 512, {args.big_sentences} sent.", sentences(args.big_sentences, 2),
            min(40, args.big_sentences), layers=6, width=512, ffn=2048)
    return 0


if __name__ == "__main__":
    sys.exit(main())
