"""What `./scripts/demo` runs: fine-tune the demo model, prepare each registered app's demo state (its spec's
`prepare`), start the suite.

Idempotent: models already in the registry are reused (pass --retrain to train them again). An app that
fails to load or to prepare is reported by name; the others are still prepared.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback

from shared.apps import Registered, registered_apps
from shared.errors import AppLoadError
from shared.registry import Registry

DEMO_MODEL = "fin-sentiment"
SAMPLES = ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
           "The company said it will cut 300 jobs after sales fell sharply.",
           "The annual general meeting will be held in Helsinki on 5 April."]


def core_demo(retrain: bool = False) -> None:
    """Fine-tune MiniLM on Financial PhraseBank with the default recipe (`method="auto"`): the registry only
    serves a version that beats its TF-IDF baseline on dev, which head-only training (0.773) does not."""
    from shared.api import finetune, load_model
    from shared.config import TrainConfig
    from shared.datasets import load_financial_phrasebank

    registry = Registry()
    if retrain or DEMO_MODEL not in registry.names():
        started = time.perf_counter()
        result = finetune(load_financial_phrasebank(), name=DEMO_MODEL, model="minilm",
                          config=TrainConfig(progress=False))
        print(f"\n== {DEMO_MODEL} {result.version}: fine-tuned in {time.perf_counter() - started:.0f} s "
              f"(test split of Financial PhraseBank)\n{result.report}")
    else:
        folder = registry.path(DEMO_MODEL)
        print(f"\n== {DEMO_MODEL} {registry.current_version(DEMO_MODEL)} (already trained)\n"
              f"{(folder / 'evaluation.txt').read_text()}")
    model = load_model(DEMO_MODEL)
    print("== predictions (also: verticals predict --name fin-sentiment \"some text\")")
    for text, pred in zip(SAMPLES, model.predict(SAMPLES)):
        print(f"{pred.label:>9} {pred.score:.2f}  {text}")


def prepare_apps(registered: Registered | None = None) -> list[str]:
    """Run each registered app's `prepare`; return one line per app that failed (name and error)."""
    apps, failures = registered if registered is not None else registered_apps()
    errors = [str(f) for f in failures]
    for spec in apps:
        try:
            prepare = spec.load_prepare()
        except AppLoadError as exc:
            errors.append(str(exc))
            continue
        if prepare is None:
            continue
        print(f"\n== preparing {spec.name} ({spec.label}) demo", flush=True)
        try:
            prepare()
        except Exception as exc:  # noqa: BLE001 - one app's failure must not stop the others' demo
            traceback.print_exc()
            errors.append(f"app {spec.name!r}: prepare failed: {type(exc).__name__}: {exc}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--retrain", action="store_true", help="Train the demo models again.")
    parser.add_argument("--no-up", action="store_true", help="Prepare only; do not start the apps.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    core_demo(args.retrain)
    errors = prepare_apps()
    for line in errors:
        print(f"\033[31merror: {line}\033[0m" if sys.stderr.isatty() else f"error: {line}", file=sys.stderr)
    if args.no_up:
        sys.exit(1 if errors else 0)
    from shared.cli.suite import up

    up()


if __name__ == "__main__":
    main()
