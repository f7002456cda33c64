"""Evaluating a saved model on a labelled file it was not trained on.

``evaluate_model(model, data)`` loads the model safely, reads the file with the
model's schema (same column rules as at training), scores it through the
pipeline, its probability correction and decision rule, and computes the same metrics as ``train`` (per-class PR-AUC beside
its baseline, recall, confusion matrix; accuracy never the headline). If the
file is the very one the model was trained on, the result says so: those
figures are not a validation.

Example
-------
>>> doc = evaluate_model("models/demo.skops", "logs/next_week.csv.gz")  # doctest: +SKIP
>>> doc["per_class"]["click"]["pr_auc"]  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from ..evaluation.crossval import compute_metrics
from ..io.dataset import load_dataset
from ..io.schema import Schema
from ..model.modelfile import Model, load_model


def evaluate_model(
    model: str | Path | Model,
    data: str | Path,
    target: str | None = None,
    sep: str | None = None,
    header: bool | None = None,
    trust_pickle: bool = False,
    decision: str | None = None,
    costs: str | Path | None = None,
    output: str | Path | None = None,
) -> dict:
    """Metrics of a saved model on a labelled file, as a JSON-ready document.

    ``output``: also write the document there as JSON (atomically; refused, before anything
    is read, when it names the model, the data or the cost file)."""
    import pandas as pd

    from ..io.writers import plan_outputs, write_text_atomic
    from ..reporting.train_report import jsonable

    in_memory = isinstance(data, pd.DataFrame)
    if output is not None:
        plan_outputs(
            [("--output", Path(output), False)],
            [Path(model.path if isinstance(model, Model) else model)]
            + ([] if in_memory else [Path(data)])
            + ([Path(costs)] if costs else []),
        )
    if not isinstance(model, Model):
        model = load_model(model, trust_pickle=trust_pickle)
    md = model.metadata
    schema = Schema.from_dict(md["schema"])
    if header is None:
        header = bool(md.get("input", {}).get("header", True))
    ds = load_dataset(data, target=target, sep=sep, schema=schema, header=header)
    label = "<DataFrame>" if in_memory else str(data)
    classes = list(schema.classes)
    predictor = model.predictor(decision, costs)
    scores = predictor.finish(predictor.raw_scores(ds.frame))
    y_pred = predictor.decide(scores)
    metrics = compute_metrics(ds.y, scores, classes, has_proba=predictor.has_proba, y_pred=y_pred)
    rule = predictor.rule
    if rule is not None and rule.costs is not None:
        metrics["cost_per_row"] = rule.cost_summary(ds.y, y_pred, scores)
    from ..evaluation.over_time import over_time, timestamp_column

    column = timestamp_column(schema)
    sliced = over_time(ds.frame[column], ds.y, scores, classes, predictor.has_proba) if column else None
    warnings = []
    if ds.sha256 == md.get("data", {}).get("sha256"):
        warnings.append(
            f"{label} is the {'data' if in_memory else 'file'} this model was trained on: these figures are not a validation"
        )
    doc = {
        "name": md.get("name", Path(model.path).stem),
        "model": model.path,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "primary": "test",
        "evaluated_on": f"{label} ({len(ds.y):,} rows, not the training file)"
        if not warnings
        else f"{label} (the training file)",
        "classes": classes,
        "score_kind": "probability" if predictor.has_proba else "decision_function",
        "decision": rule.label if rule is not None else "argmax",
        "correction": (md.get("correction") or {}).get("method", "none"),
        "data": {"path": label, "sha256": ds.sha256, "n_rows": int(len(ds.y)), "class_counts": ds.class_counts},
        "warnings": warnings,
        "notes": ds.notes,
        "over_time": None if sliced is None else {"column": column, **sliced},
        **metrics,
    }
    doc = jsonable(doc)
    if output is not None:
        import json

        write_text_atomic(Path(output), json.dumps(doc, indent=2) + "\n", "--output")
    return doc
