"""Independent reference for pyprune's .pyc reader, computed by the running CPython.

Usage: expected_pyc.py PYC SOURCE OPTIMIZATION [PYC SOURCE OPTIMIZATION ...]
Prints a JSON list with, per .pyc: the header as importlib classifies it, the
code objects as the real `marshal.loads` sees them, the docstrings the source's
AST says are kept at that optimization level, and whether importlib's own
validation functions accept the cache for its source.
"""
import ast
import importlib._bootstrap_external as bx
import importlib.util
import json
import marshal
import os
import sys


def code_objects(code):
    out = [(code.co_qualname, code.co_firstlineno)]
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            out.extend(code_objects(const))
    return out


def explicit_doc(body):
    """A body that starts with `__doc__ = "<str>"`: compiled exactly as a docstring, kept at -OO."""
    if not body or not isinstance(body[0], ast.Assign) or len(body[0].targets) != 1:
        return False
    target, value = body[0].targets[0], body[0].value
    return (isinstance(target, ast.Name) and target.id == "__doc__"
            and isinstance(value, ast.Constant) and isinstance(value.value, str))


def has_doc(node, optimization):
    docstring = optimization < 2 and ast.get_docstring(node, clean=False) is not None
    return docstring or (not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and explicit_doc(node.body))


def documented(tree, optimization):
    """Qualified names of the functions and classes whose docstring is kept (and the module's)."""
    defs = []

    def visit(node, prefix, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualname = prefix + child.name
                if has_doc(child, optimization):
                    defs.append(qualname)
                is_function = not isinstance(child, ast.ClassDef)
                visit(child, qualname + (".<locals>." if is_function else "."), is_function)
            elif isinstance(child, ast.Lambda):
                visit(child, prefix + "<lambda>.<locals>.", True)
            else:
                visit(child, prefix, in_function)

    visit(tree, "", False)
    return {"module": has_doc(tree, optimization), "defs": sorted(defs)}


def freshness(data, source):
    name = os.path.basename(source)
    details = {"name": name, "path": source}
    try:
        flags = bx._classify_pyc(data, name, details)
    except ImportError as e:
        return {"state": "invalid", "reason": str(e)}
    if flags & 0b1:
        source_bytes = open(source, "rb").read()
        digest = importlib.util.source_hash(source_bytes)
        if not flags & 0b10:
            return {"state": "unchecked", "matches": digest == data[8:16]}
        try:
            bx._validate_hash_pyc(data, digest, name, details)
            return {"state": "fresh"}
        except ImportError:
            return {"state": "stale"}
    st = os.stat(source)
    try:
        # As SourceLoader.get_code does: int() of the float mtime.
        bx._validate_timestamp_pyc(data, int(st.st_mtime), st.st_size, name, details)
        return {"state": "fresh"}
    except ImportError:
        return {"state": "stale"}


def main(args):
    out = []
    for pyc, source, optimization in zip(args[0::3], args[1::3], args[2::3]):
        data = open(pyc, "rb").read()
        code = marshal.loads(data[16:])
        tree = ast.parse(open(source, "rb").read())
        out.append({
            "pyc": pyc,
            "magic": int.from_bytes(data[:2], "little"),
            "flags": int.from_bytes(data[4:8], "little"),
            "filename": code.co_filename,
            "objects": code_objects(code),
            "documented": documented(tree, int(optimization)),
            "freshness": freshness(data, source),
        })
    json.dump(out, sys.stdout)


main(sys.argv[1:])
