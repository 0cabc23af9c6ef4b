"""Execute the assessments notebook headless against a lake.

    python -m landerd_lake.notebook --lake LAKE [--tenant T] [--threshold 0.7] [--out DIR]

writes DIR/assessments.ipynb (executed, with outputs), DIR/assessments.html
(charts embedded) and DIR/answers.json (the notebook's answers to the seven
business questions, raw and dedup, in the shape of `landerd report --json`).
--tenant answers for one tenant of a multi-tenant lake, as `landerd report
--tenant T` does; without it the notebook reads the whole lake.
The parameters are injected after the notebook's cell tagged "parameters",
as papermill does. Exit status 1 when a cell fails; the HTML is written
all the same, so the message the notebook gave can be read there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter

#: The notebook in this checkout.
NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "assessments.ipynb"


def inject(nb, lake: str, threshold: float | None, tenant: str | None = None) -> None:
    """Insert a cell setting LAKE and TENANT (and PASS_THRESHOLD) after the
    parameters cell."""
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    if not tagged:
        raise ValueError("the notebook has no cell tagged parameters")
    lines = ["# Injected parameters", f"LAKE = {lake!r}", f"TENANT = {tenant!r}"]
    if threshold is not None:
        lines.append(f"PASS_THRESHOLD = {threshold!r}")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(tagged[0] + 1, cell)
    nbformat.validator.normalize(nb)


def execute(
    lake: str,
    threshold: float | None = None,
    notebook: Path = NOTEBOOK,
    timeout: int = 1200,
    tenant: str | None = None,
):
    """Run the notebook against lake (one tenant of it when tenant is set);
    return (the executed notebook, the CellExecutionError that stopped it or
    None)."""
    if "://" not in lake:
        lake = os.path.abspath(lake)  # the kernel runs in the notebook's folder
    # The kernel imports landerd_lake from where this module is.
    src = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    if src not in path.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (src, path) if p)
    nb = nbformat.read(notebook, as_version=4)
    inject(nb, lake, threshold, tenant)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        return nb, err
    return nb, None


def answers(nb) -> dict | None:
    """Return the JSON output of the cell tagged "answers", or None."""
    for cell in nb.cells:
        if "answers" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "application/json" in data:
                    return data["application/json"]
    return None


def errors(nb) -> list[dict]:
    """Return the error outputs of the executed notebook."""
    return [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def main(argv: list[str]) -> int:
    """Execute the notebook and write what it produced into --out."""
    p = argparse.ArgumentParser(
        prog="python -m landerd_lake.notebook",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--lake", required=True, help="the lake's root: a path, file:// or hdfs:// URL")
    p.add_argument("--tenant", help="one tenant of a multi-tenant lake (default: the whole lake)")
    p.add_argument("--threshold", type=float, help="pass threshold (default: the notebook's)")
    p.add_argument("--out", default="notebook-out", help="folder for the outputs")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    nb, err = execute(args.lake, args.threshold, tenant=args.tenant)
    nbformat.write(nb, out / "assessments.ipynb")
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out / "assessments.html").write_text(html)
    got = answers(nb)
    if got is not None:
        (out / "answers.json").write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    if err is not None:
        msgs = [f"{e['ename']}: {e['evalue']}" for e in errors(nb)]
        print("notebook stopped: " + ("; ".join(msgs) or str(err)), file=sys.stderr)
        print(f"see {out / 'assessments.html'}", file=sys.stderr)
        return 1
    print(f"wrote {out / 'assessments.html'}, {out / 'answers.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
