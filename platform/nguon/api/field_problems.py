"""Every field problem of a value at once, in words a person reads.

msgspec stops at the first error. After a failure the value is walked field by field
against the Struct's fields: missing and unknown fields, nested Structs and lists of them,
and each remaining value checked by msgspec itself (so the walk accepts exactly what
decoding accepts) with its message turned into a field code and Vietnamese and English
sentences naming the field and the expected form.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from msgspec import inspect

from nguon.api.problem_text import labels_for, split_message
from nguon.api.problems import (
    INVALID_CHOICE,
    INVALID_DATE,
    INVALID_FORMAT,
    INVALID_TYPE,
    INVALID_VALUE,
    NULL_NOT_ALLOWED,
    OUT_OF_RANGE,
    REQUIRED,
    TOO_LONG,
    TOO_SHORT,
    UNKNOWN_FIELD,
    FieldProblem,
    field_name_of,
    pointer_of,
)

Path = list[str | int]
_AT = re.compile(r"\s+-\s+at\s+`\$(?P<path>[^`]*)`$")
_PATH_PART = re.compile(r"\.(?P<name>[^.\[]+)|\[(?P<index>\d+)\]")
_KINDS = {
    "int": ("một số nguyên", "an integer"),
    "float": ("một số", "a number"),
    "str": ("một chuỗi ký tự", "a string"),
    "bool": ("true hoặc false", "true or false"),
    "object": ("một đối tượng JSON", "a JSON object"),
    "array": ("một mảng JSON", "a JSON array"),
    "null": ("null", "null"),
    "date": ("một ngày dạng YYYY-MM-DD", "a date as YYYY-MM-DD"),
    "datetime": ("thời điểm theo RFC 3339", "an RFC 3339 datetime"),
    "time": ("giờ dạng HH:MM", "a time as HH:MM"),
    "uuid": ("một UUID", "a UUID"),
}
_BOUNDS = {
    ">=": ("lớn hơn hoặc bằng", "at least"),
    "<=": ("nhỏ hơn hoặc bằng", "at most"),
    ">": ("lớn hơn", "greater than"),
    "<": ("nhỏ hơn", "less than"),
}


def path_in_message(message: str) -> tuple[str, Path]:
    """msgspec's ``"… - at `$.items[0].name`"`` → the message and the path it names."""
    found = _AT.search(message)
    if not found:
        return message, []
    path: Path = []
    for part in _PATH_PART.finditer(found.group("path")):
        path.append(int(part.group("index")) if part.group("index") else part.group("name"))
    return message[: found.start()], path


def _kind(name: str) -> tuple[str, str]:
    return _KINDS.get(name, (f"kiểu {name}", f"type {name}"))


def _find(info: inspect.Type, wanted: type[inspect.Type]) -> Any:
    """The first part of ``info`` (through Optional, Annotated, lists) of type ``wanted``."""
    if isinstance(info, wanted):
        return info
    if isinstance(info, inspect.Metadata):
        return _find(info.type, wanted)
    if isinstance(info, inspect.UnionType):
        for option in info.types:
            found = _find(option, wanted)
            if found is not None:
                return found
    if isinstance(info, inspect.ListType | inspect.SetType | inspect.VarTupleType):
        return _find(info.item_type, wanted)
    return None


def _form(info: inspect.Type) -> tuple[str, str]:
    """The expected form of a patterned string, as its ``Meta(extra={"form": …})`` says."""
    stack = [info]
    while stack:
        current = stack.pop()
        if isinstance(current, inspect.Metadata):
            form = (current.extra or {}).get("form")
            if isinstance(form, dict):
                return form["vi"], form["en"]
            stack.append(current.type)
        elif isinstance(current, inspect.UnionType):
            stack.extend(current.types)
    return "đúng khuôn dạng quy định", "in the documented form"


def _choices(info: inspect.Type) -> list[str]:
    literal = _find(info, inspect.LiteralType)
    if literal is not None:
        return [str(v) for v in literal.values]
    enum = _find(info, inspect.EnumType)
    if enum is not None:
        return [str(member.value) for member in enum.cls]
    return []


def describe(message: str, field: str, info: inspect.Type | None) -> tuple[str, str, str]:
    """A msgspec message about ``field`` → (field code, Vietnamese, English)."""
    name = f"`{field}`" if field else "Nội dung"
    name_en = f"`{field}`" if field else "The body"
    if m := re.fullmatch(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`", message):
        want, got = m.group("want"), m.group("got")
        choices = _choices(info) if info is not None else []
        if got == "null" and choices:
            listed = ", ".join(f"`{v}`" for v in choices)
            return (
                NULL_NOT_ALLOWED,
                f"{name} không được để null: hãy gửi một trong các giá trị {listed}.",
                f"{name_en} may not be null: send one of {listed}.",
            )
        if got == "null":
            return (
                NULL_NOT_ALLOWED,
                f"{name} không được để null: hãy gửi {_kind(want)[0]}.",
                f"{name_en} may not be null: send {_kind(want)[1]}.",
            )
        want_vi = " hoặc ".join(_kind(w)[0] for w in want.split(" | "))
        want_en = " or ".join(_kind(w)[1] for w in want.split(" | "))
        return (
            INVALID_TYPE,
            f"{name} phải là {want_vi}, không phải {_kind(got)[0]}.",
            f"{name_en} must be {want_en}, not {_kind(got)[1]}.",
        )
    if m := re.fullmatch(r"Expected `(?P<want>\w+)` of length (?P<op>[<>]=?) (?P<n>\d+)", message):
        op, n = m.group("op"), int(m.group("n"))
        unit_vi, unit_en = ("ký tự", "characters") if m.group("want") == "str" else ("mục", "items")
        short = op.startswith(">")
        if short and n == 1:
            return (
                TOO_SHORT,
                f"{name} không được để trống.",
                f"{name_en} may not be empty.",
            )
        return (
            TOO_SHORT if short else TOO_LONG,
            f"{name} phải có {'ít nhất' if short else 'nhiều nhất'} {n} {unit_vi}.",
            f"{name_en} must have {'at least' if short else 'at most'} {n} {unit_en}.",
        )
    if m := re.fullmatch(
        r"Expected `(?:int|float|number)` (?P<op>[<>]=?) (?P<n>[-\d.e+]+)", message
    ):
        vi_op, en_op = _BOUNDS[m.group("op")]
        return (
            OUT_OF_RANGE,
            f"{name} phải {vi_op} {m.group('n')}.",
            f"{name_en} must be {en_op} {m.group('n')}.",
        )
    if message.startswith("Expected `str` matching regex"):
        form_vi, form_en = _form(info) if info is not None else _form(inspect.AnyType())
        return (
            INVALID_FORMAT,
            f"{name} không đúng khuôn dạng: cần {form_vi}.",
            f"{name_en} is not in the expected form: {form_en}.",
        )
    if m := re.fullmatch(r"Invalid enum value (?P<value>.+)", message):
        values = _choices(info) if info is not None else []
        labels = labels_for(values)
        listed_vi = ", ".join(
            f"`{v}` ({labels[v]})" if labels[v] != v else f"`{v}`" for v in values
        )
        listed_en = ", ".join(f"`{v}`" for v in values)
        return (
            INVALID_CHOICE,
            f"{name} chỉ nhận một trong các giá trị: {listed_vi}.",
            f"{name_en} must be one of {listed_en}; got {m.group('value')}.",
        )
    if m := re.fullmatch(r"Invalid RFC3339 encoded (?P<what>date|datetime|time)", message):
        kind_vi, kind_en = _kind(m.group("what"))
        return (
            INVALID_DATE,
            f"{name} phải là {kind_vi} (ví dụ 2026-01-31) và là ngày có thật.",
            f"{name_en} must be {kind_en} (for instance 2026-01-31) and a real date.",
        )
    vi, en = split_message(message)
    return INVALID_VALUE, f"{name}: {vi}", f"{name_en}: {en}"


def problem(path: Path, code: str, vi: str, en: str, *, in_body: bool = True) -> FieldProblem:
    field = field_name_of(path)
    if in_body:
        return FieldProblem(
            field=field, pointer=pointer_of(path), code=code, detail=vi, detail_en=en
        )
    return FieldProblem(field=field, parameter=field, code=code, detail=vi, detail_en=en)


def from_message(message: str, path: Path, annotation: Any) -> FieldProblem:
    """One msgspec error (found at ``path``) as a field problem."""
    text, deeper = path_in_message(message)
    where = [*path, *deeper]
    if m := re.fullmatch(r"Object missing required field `(?P<name>[^`]+)`", text):
        where.append(m.group("name"))
        field = field_name_of(where)
        return problem(
            where,
            REQUIRED,
            f"Thiếu trường bắt buộc `{field}`.",
            f"`{field}` is required.",
        )
    if m := re.fullmatch(r"Object contains unknown field `(?P<name>[^`]+)`", text):
        where.append(m.group("name"))
        field = field_name_of(where)
        return problem(
            where,
            UNKNOWN_FIELD,
            f"Không có trường `{field}` (viết sai tên?).",
            f"There is no field `{field}` (misspelt?).",
        )
    info = _info_at(annotation, deeper) if annotation is not None else None
    code, vi, en = describe(text, field_name_of(where), info)
    return problem(where, code, vi, en)


def _info_at(annotation: Any, path: Path) -> inspect.Type | None:
    """The type info of the part of ``annotation`` at ``path`` (best effort)."""
    try:
        info: inspect.Type = inspect.type_info(annotation)
    except (TypeError, ValueError):
        return None
    for part in path:
        while isinstance(info, inspect.Metadata):
            info = info.type
        if isinstance(info, inspect.UnionType):
            nested = [t for t in info.types if not isinstance(t, inspect.NoneType)]
            info = nested[0] if len(nested) == 1 else info
        if isinstance(part, int) and isinstance(info, inspect.ListType | inspect.VarTupleType):
            info = info.item_type
        elif isinstance(part, str) and isinstance(info, inspect.StructType):
            found = [f for f in info.fields if f.encode_name == part]
            if not found:
                return None
            info = found[0].type
        else:
            return info
    return info


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _options(annotation: Any) -> list[Any]:
    annotation = _strip(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return [_strip(option) for option in get_args(annotation)]
    return [annotation]


def _is_struct(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)


def _list_item(annotation: Any) -> Any:
    if get_origin(annotation) in (list, set, frozenset, tuple):
        args = get_args(annotation)
        if args and (get_origin(annotation) is not tuple or args[-1] is Ellipsis):
            return args[0]
    return None


def _leaf(value: Any, annotation: Any, path: Path) -> list[FieldProblem]:
    try:
        msgspec.convert(value, annotation, strict=False)
    except msgspec.ValidationError as error:
        return [from_message(str(error), path, annotation)]
    except (TypeError, ValueError):
        return []  # a type msgspec does not convert: the handler's own decoding decides
    return []


def problems_in(value: Any, annotation: Any, path: Path | None = None) -> list[FieldProblem]:
    """Every problem of ``value`` as ``annotation`` (a Struct, a list of them, …)."""
    path = path or []
    options = _options(annotation)
    concrete = [o for o in options if o not in (type(None), msgspec.UnsetType)]
    if value is None and type(None) not in options:
        return _leaf(value, annotation, path)
    if value is None:
        return []
    structs = [o for o in concrete if _is_struct(o)]
    if isinstance(value, dict) and len(structs) == 1:
        return _struct_problems(value, structs[0], path)
    lists = [o for o in concrete if _list_item(o) is not None]
    if isinstance(value, list) and len(lists) == 1:
        item = _list_item(lists[0])
        found = _length_problems(value, annotation, path)
        found += [p for i, v in enumerate(value) for p in problems_in(v, item, [*path, i])]
        return found or _leaf(value, annotation, path)
    return _leaf(value, annotation, path)


def _length_problems(value: list[Any], annotation: Any, path: Path) -> list[FieldProblem]:
    try:
        info = _find(inspect.type_info(annotation), inspect.ListType)
    except (TypeError, ValueError):
        return []
    if info is None:
        return []
    if info.min_length is not None and len(value) < info.min_length:
        return [from_message(f"Expected `array` of length >= {info.min_length}", path, None)]
    if info.max_length is not None and len(value) > info.max_length:
        return [from_message(f"Expected `array` of length <= {info.max_length}", path, None)]
    return []


def _struct_problems(
    value: dict[str, Any], struct: type[msgspec.Struct], path: Path
) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    fields = msgspec.structs.fields(struct)
    known = {f.encode_name for f in fields}
    for field in fields:
        where = [*path, field.encode_name]
        if field.encode_name not in value:
            if field.required:
                name = field_name_of(where)
                found.append(
                    problem(
                        where,
                        REQUIRED,
                        f"Thiếu trường bắt buộc `{name}`.",
                        f"`{name}` is required.",
                    )
                )
            continue
        found += problems_in(value[field.encode_name], field.type, where)
    if struct.__struct_config__.forbid_unknown_fields:
        for key in value:
            if key not in known:
                found.append(from_message(f"Object contains unknown field `{key}`", path, None))
    if not found:
        found = _leaf(value, struct, path)
    return found
