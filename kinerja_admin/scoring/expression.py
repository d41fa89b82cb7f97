"""Safe final-score expressions such as ``0.6*skp + 0.4*perilaku`` or ``round(max(skp, 80), 2)``.

The text is parsed with Python's ``ast`` module (never evaluated); the tree is then walked with a
strict whitelist. The checked tree is compiled either to a SQLAlchemy expression (the engine) or
evaluated over Decimal values (reference, explanation).
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Optional

from sqlalchemy import case, func, literal_column, null, or_

from .formulas import num

COMPONENTS = ("skp", "perilaku", "atasan", "rekan", "bawahan", "diri", "masyarakat")
COMPONENT_LABELS = {"skp": "nilai SKP", "perilaku": "nilai perilaku", "atasan": "rerata atasan",
                    "rekan": "rerata rekan", "bawahan": "rerata bawahan", "diri": "rerata diri sendiri",
                    "masyarakat": "rerata masyarakat"}
FUNCTIONS = ("min", "max", "round")
MAX_LENGTH = 300
MAX_DEPTH = 12
MAX_LITERAL = Decimal("1000000")
MAX_NODES = 200


class ExpressionError(ValueError):
    """The expression is not allowed; the message is Indonesian and shown to the user."""


def _depth(node: ast.AST, level: int = 0) -> int:
    children = list(ast.iter_child_nodes(node))
    if not children:
        return level
    return max(_depth(c, level + 1) for c in children)


def parse(text: str) -> ast.AST:
    """Parse and check the expression; return the checked ``ast`` body. Raises ExpressionError."""
    if text is None or not str(text).strip():
        raise ExpressionError("Rumus nilai akhir kosong.")
    text = str(text)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Rumus nilai akhir terlalu panjang (maksimal {MAX_LENGTH} karakter).")
    if text.count("(") > MAX_DEPTH:
        raise ExpressionError("Rumus nilai akhir terlalu dalam bersarang (terlalu banyak tanda kurung).")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError("Rumus nilai akhir tidak dapat dibaca: periksa tanda kurung dan operatornya.") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ExpressionError("Rumus nilai akhir terlalu rumit.")
    if _depth(tree) > MAX_DEPTH * 2:
        raise ExpressionError("Rumus nilai akhir terlalu dalam bersarang.")
    _check(tree.body)
    return tree.body


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError("Rumus hanya boleh memuat angka, komponen nilai, + - * /, min, max, round.")
        try:
            if abs(Decimal(str(node.value))) > MAX_LITERAL:
                raise ExpressionError("Angka dalam rumus terlalu besar (maksimal 1.000.000).")
        except InvalidOperation:
            raise ExpressionError("Angka dalam rumus tidak sah.") from None
        return
    if isinstance(node, ast.Name):
        if node.id not in COMPONENTS:
            raise ExpressionError(
                f"Nama '{node.id}' tidak dikenal. Komponen yang boleh dipakai: {', '.join(COMPONENTS)}.")
        return
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            raise ExpressionError("Pangkat (**) tidak diizinkan dalam rumus.")
        if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            raise ExpressionError("Operator tidak diizinkan; hanya + - * / yang boleh dipakai.")
        _check(node.left)
        _check(node.right)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError("Operator tidak diizinkan; hanya + - * / yang boleh dipakai.")
        _check(node.operand)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError("Fungsi tidak diizinkan; hanya min, max dan round yang boleh dipakai.")
        if node.keywords:
            raise ExpressionError("Argumen bernama tidak diizinkan dalam rumus.")
        name = node.func.id
        if name in ("min", "max") and len(node.args) < 2:
            raise ExpressionError(f"Fungsi {name} memerlukan paling sedikit dua argumen.")
        if name == "round":
            if len(node.args) not in (1, 2):
                raise ExpressionError("Fungsi round memerlukan satu atau dua argumen: round(nilai, desimal).")
            if len(node.args) == 2:
                d = node.args[1]
                if not (isinstance(d, ast.Constant) and isinstance(d.value, int)
                        and not isinstance(d.value, bool) and 0 <= d.value <= 4):
                    raise ExpressionError("Jumlah desimal pada round harus bilangan bulat 0 sampai 4.")
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise ExpressionError("Argumen berbintang tidak diizinkan dalam rumus.")
            _check(a)
        return
    if isinstance(node, ast.Attribute):
        raise ExpressionError("Akses atribut (tanda titik setelah nama) tidak diizinkan dalam rumus.")
    raise ExpressionError("Rumus hanya boleh memuat angka, komponen nilai, + - * /, min, max, round.")


def names(text: str) -> set[str]:
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)} - set(FUNCTIONS)


# --- compile to SQL ---------------------------------------------------------------------------

def to_sql(text: str, columns: Mapping[str, object]):
    """Compile to a SQLAlchemy expression; ``columns`` maps component names to SQL columns."""
    return _sql(parse(text), columns)


def _least_greatest(args, pick_first_when):
    result = args[0]
    for other in args[1:]:
        a, b = result, other
        result = case((or_(a.is_(None), b.is_(None)), null()), (pick_first_when(a, b), a), else_=b)
    return result


def _sql(node, cols):
    if isinstance(node, ast.Constant):
        return num(node.value)
    if isinstance(node, ast.Name):
        return cols[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _sql(node.operand, cols)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _sql(node.left, cols), _sql(node.right, cols)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        # decimal literal first: no integer division on SQLite; division by zero gives NULL
        return (num(1) * left) / func.nullif(right, 0)
    if isinstance(node, ast.Call):
        args = [_sql(a, cols) for a in node.args]
        name = node.func.id
        if name == "min":
            return _least_greatest(args, lambda a, b: a <= b)
        if name == "max":
            return _least_greatest(args, lambda a, b: a >= b)
        digits = node.args[1].value if len(node.args) == 2 else 0
        return func.round(args[0], literal_column(str(digits)))
    raise ExpressionError("Rumus tidak sah.")  # unreachable after _check


# --- compile to an Excel formula (the inspector workbook's Periksa sheet) ----------------------------

def to_excel(text: str, refs: Mapping[str, str]) -> tuple[str, set[str]]:
    """The expression as Excel formula text over the cells `refs` (component -> cell), and the
    components it uses (the caller makes the result empty when one of them is empty, like SQL NULL;
    a division by zero gives an error the caller catches with IFERROR, like the engine's NULL)."""
    tree = parse(text)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(FUNCTIONS)
    return _xl(tree, refs), used


def _xl(node, refs) -> str:
    if isinstance(node, ast.Constant):
        return format(Decimal(str(node.value)), "f")
    if isinstance(node, ast.Name):
        return refs[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _xl(node.operand, refs)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        return f"({_xl(node.left, refs)}{op}{_xl(node.right, refs)})"
    if isinstance(node, ast.Call):
        args = [_xl(a, refs) for a in node.args]
        name = node.func.id
        if name in ("min", "max"):
            return f"{name.upper()}({','.join(args)})"
        digits = node.args[1].value if len(node.args) == 2 else 0
        return f"ROUND({args[0]},{digits})"
    raise ExpressionError("Rumus tidak sah.")  # unreachable after _check


# --- evaluate over Decimal (reference) --------------------------------------------------------

def evaluate(text: str, values: Mapping[str, Optional[Decimal]]) -> Optional[Decimal]:
    """Decimal evaluation with SQL NULL semantics (any missing operand gives None)."""
    return _eval(parse(text), values)


def _round_half_up(v: Decimal, digits: int) -> Decimal:
    from decimal import ROUND_HALF_UP

    return v.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _eval(node, values):
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        v = values.get(node.id)
        return None if v is None else Decimal(v)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if a is None or b is None:
            return None
        ops: dict[type, Callable] = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                                     ast.Div: lambda: None if b == 0 else a / b}
        return ops[type(node.op)]()
    if isinstance(node, ast.Call):
        args = [_eval(a, values) for a in node.args]
        if node.func.id in ("min", "max"):
            if any(a is None for a in args):
                return None
            return min(args) if node.func.id == "min" else max(args)
        if args[0] is None:
            return None
        return _round_half_up(args[0], node.args[1].value if len(node.args) == 2 else 0)
    raise ExpressionError("Rumus tidak sah.")


# --- result range (save-time bound check) ----------------------------------------------------

def result_range(text: str, component_range: tuple[Decimal, Decimal]) -> tuple[Optional[Decimal], Optional[Decimal]]:
    """Interval arithmetic: the smallest and largest value the expression can take when every
    component lies in `component_range`. None for a bound means unbounded (a division by an
    interval that contains zero)."""
    return _interval(parse(text), component_range)


def _mul(a, b):
    products = [x * y for x in a for y in b]
    return min(products), max(products)


def _interval(node, comp):
    if isinstance(node, ast.Constant):
        v = Decimal(str(node.value))
        return v, v
    if isinstance(node, ast.Name):
        return comp
    if isinstance(node, ast.UnaryOp):
        lo, hi = _interval(node.operand, comp)
        if lo is None or hi is None:
            return None, None
        return (-hi, -lo) if isinstance(node.op, ast.USub) else (lo, hi)
    if isinstance(node, ast.BinOp):
        a, b = _interval(node.left, comp), _interval(node.right, comp)
        if None in a or None in b:
            return None, None
        if isinstance(node.op, ast.Add):
            return a[0] + b[0], a[1] + b[1]
        if isinstance(node.op, ast.Sub):
            return a[0] - b[1], a[1] - b[0]
        if isinstance(node.op, ast.Mult):
            return _mul(a, b)
        if b[0] <= 0 <= b[1]:
            if b[0] == b[1] == 0:
                return Decimal(0), Decimal(0)  # x / 0 is NULL in SQL: no value at all
            return None, None
        return _mul(a, (1 / b[1], 1 / b[0]))
    if isinstance(node, ast.Call):
        args = [_interval(x, comp) for x in node.args]
        if any(None in x for x in args):
            return None, None
        name = node.func.id
        if name == "min":
            return min(x[0] for x in args), min(x[1] for x in args)
        if name == "max":
            return max(x[0] for x in args), max(x[1] for x in args)
        lo, hi = args[0]
        return lo - Decimal("0.5"), hi + Decimal("0.5")
    raise ExpressionError("Rumus tidak sah.")
