"""PDFs as tools nobody here wrote read them (issue 18): qpdf (the document catalog, the structure tree, the
page content streams, --check) and poppler (pdfinfo, its print of the structure tree, pdftotext). CI installs
both (.ci/run); without them the tests that need them are skipped here."""

import base64
import json
import re
import shutil
import subprocess

import pytest


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed here (CI installs it: see .ci/run)")
    return path


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True).stdout.decode()


class Pdf:
    """A PDF as qpdf and poppler read it."""

    def __init__(self, data: bytes, tmp_path):
        assert data.startswith(b"%PDF")
        self.path = tmp_path / "file.pdf"
        self.path.write_bytes(data)
        checked = subprocess.run([tool("qpdf"), "--check", str(self.path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        self.json = json.loads(
            run(
                tool("qpdf"),
                "--json=2",
                "--json-stream-data=inline",
                "--decode-level=generalized",
                str(self.path),
            )
        )
        self.objects = self.json["qpdf"][1]
        self.info = dict(
            line.split(":", 1) for line in run(tool("pdfinfo"), "-enc", "UTF-8", str(self.path)).splitlines()
        )
        self.info = {key: value.strip() for key, value in self.info.items()}

    def object(self, ref: str) -> dict:
        return self.objects[f"obj:{ref}"]

    @property
    def catalog(self) -> dict:
        return self.object(self.objects["trailer"]["value"]["/Root"])["value"]

    @property
    def pages(self) -> int:
        return int(self.info["Pages"])

    def text(self, first: int, last: int | None = None) -> str:
        """The text of pages first..last (from 1), words separated by single spaces."""
        out = run(
            tool("pdftotext"),
            "-f",
            str(first),
            "-l",
            str(last or first),
            "-enc",
            "UTF-8",
            str(self.path),
            "-",
        )
        return " ".join(out.split())

    def content(self, page: int) -> str:
        """The decoded content stream of a page (from 1)."""
        ref = self.json["pages"][page - 1]["contents"][0]
        return base64.b64decode(self.object(ref)["stream"]["data"]).decode("latin-1")

    def value(self, item):
        """An object's value, following an indirect reference."""
        if isinstance(item, str) and item.endswith(" R"):
            return self.object(item)["value"]
        return item

    def structure_text(self) -> str:
        """poppler's print of the structure tree with each element's text."""
        return run(tool("pdfinfo"), "-struct-text", str(self.path))


# Painting operators: glyphs, filled and stroked paths, images and shadings.
PAINTING = {"Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "Do", "sh"}
CONTENT_TOKENS = re.compile(
    r"\((?:\\.|[^\\)])*\)|<<.*?>>|<[0-9A-Fa-f\s]*>|\[|\]|/[^\s/\[\]()<>]+|[-+.\d]+|[A-Za-z'\"*]+",
    re.S,
)


def marked_content(content: str) -> list[int]:
    """The MCIDs of a page's marked-content sequences, in order, after checking that every painting operator
    is inside a marked-content sequence (content of an element, or an artifact) and that they nest."""
    depth, mcids, operands = 0, [], []
    for token in CONTENT_TOKENS.findall(content):
        if token in ("BDC", "BMC"):
            depth += 1
            mcid = re.search(r"/MCID (\d+)", operands[-1]) if token == "BDC" else None
            if mcid:
                assert depth == 1, "a sequence with an MCID inside another"
                mcids.append(int(mcid.group(1)))
        elif token == "EMC":
            depth -= 1
            assert depth >= 0
        elif token in PAINTING:
            assert depth > 0, f"untagged content: {' '.join(operands[-3:])} {token}"
        if token[0].isalpha() or token in ("'", '"'):
            operands = []
        else:
            operands.append(token)
    assert depth == 0
    return mcids


STANDARD_TYPES = {"Document", "Sect", "Div", "H1", "H2", "P", "Table", "TR", "TH", "TD", "Figure", "Link"}


def assert_tagged(pdf: Pdf) -> dict:
    """The file is tagged as ISO 32000-1 14.7 and PDF/UA-1 ask: marked, a structure tree of standard types
    whose parent tree gives, for every page, the element of each of its MCIDs, every piece of content marked,
    links in the tree. Returns the tree as nested dicts (role, attributes, kids)."""
    assert pdf.info["Tagged"] == "yes"  # poppler reads /MarkInfo
    assert pdf.value(pdf.catalog["/MarkInfo"])["/Marked"] is True
    root = pdf.value(pdf.catalog["/StructTreeRoot"])
    assert root["/Type"] == "/StructTreeRoot"
    nums = pdf.value(root["/ParentTree"])["/Nums"]
    parent_tree = dict(zip(nums[::2], nums[1::2], strict=True))
    assert root["/ParentTreeNextKey"] > max(parent_tree)

    def walk(ref: str, parent: str) -> dict:
        element = pdf.value(ref)
        assert element["/Type"] == "/StructElem" and element["/P"] == parent
        role = element["/S"][1:]
        assert role in STANDARD_TYPES, role
        kids = element.get("/K", [])
        node = {"role": role, "element": element, "ref": ref, "kids": [], "mcids": []}
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, int):
                node["mcids"].append((element["/Pg"], kid))
            elif isinstance(kid, dict) and kid.get("/Type") == "/OBJR":
                annotation = pdf.value(kid["/Obj"])
                assert parent_tree[annotation["/StructParent"]] == ref  # the link's key leads to its element
                node["kids"].append({"role": "OBJR", "annotation": annotation, "kids": [], "mcids": []})
            elif isinstance(kid, dict):
                node["mcids"].append((kid["/Pg"], kid["/MCID"]))
            else:
                node["kids"].append(walk(kid, ref))
        return node

    tree = walk(root["/K"], pdf.catalog["/StructTreeRoot"])
    by_ref = {element["ref"]: element for element in nodes(tree) if "ref" in element}
    for number, page in enumerate(pdf.json["pages"], start=1):
        page_object = pdf.object(page["object"])["value"]
        assert page_object["/Tabs"] == "/S"
        mcids = marked_content(pdf.content(number))
        assert mcids == list(range(len(mcids)))
        owners = pdf.value(parent_tree[page_object["/StructParents"]])
        assert len(owners) == len(mcids)
        for mcid, owner in zip(mcids, owners, strict=True):
            assert (page["object"], mcid) in by_ref[owner]["mcids"]
    return tree


def nodes(tree: dict):
    yield tree
    for kid in tree["kids"]:
        yield from nodes(kid)


def roles(tree: dict, role: str) -> list[dict]:
    return [node for node in nodes(tree) if node["role"] == role]
