"""What `./scripts/demo` runs: fine-tune the demo model, prepare each app's demo state, start the suite.

Idempotent: models already in the registry are reused (pass --retrain to train them again).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import time

from shared.registry import Registry

APPS = ("customer_service", "finance_monitor", "recommender")
DEMO_MODEL = "fin-sentiment"
SAMPLES = ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007.",
           "The company said it will cut 300 jobs after sales fell sharply.",
           "The annual general meeting will be held in Helsinki on 5 April."]


def core_demo(retrain: bool = False) -> None:
    """Fine-tune MiniLM on Financial PhraseBank (head-only: about a minute on 2 CPU cores)."""
    from shared.api import finetune, load_model
    from shared.config import TrainConfig
    from shared.datasets import load_financial_phrasebank

    registry = Registry()
    if retrain or DEMO_MODEL not in registry.names():
        started = time.perf_counter()
        result = finetune(load_financial_phrasebank(), name=DEMO_MODEL, model="minilm", method="head",
                          config=TrainConfig(epochs=40, patience=5, progress=False))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--retrain", action="store_true", help="Train the demo models again.")
    parser.add_argument("--no-up", action="store_true", help="Prepare only; do not start the apps.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    core_demo(args.retrain)
    for app in APPS:
        demo = importlib.import_module(f"{app}.demo")
        print(f"\n== preparing {app} demo")
        demo.prepare()
    if args.no_up:
        return
    from shared.cli.suite import up

    # typer defaults are OptionInfo objects outside the CLI; `up` reads None as "the default"
    up(host=None, scheduler=True, log_dir=None)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
