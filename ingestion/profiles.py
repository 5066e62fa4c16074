"""Source profiles: how one export's file shape maps onto a canonical entity.

A profile is a YAML file ``landing/profiles/<profile>.yml`` (format in docs/architecture.md).
It is validated completely when loaded, before any data is read: an unknown entity, an
unknown canonical column in any section, a required column that is neither mapped nor set as
a constant, a value map on a column that cannot take one, an invalid ``strptime`` format or an
unknown file format are rejected with an error naming the profile file and the key.

Column mapping rule: when ``columns`` is absent the export uses the canonical column names.
When it is present the export is a different shape, and every required column must be listed
(write ``lead_id: lead_id`` for a column that keeps its name) or given a constant; optional
columns that are not listed are read under their canonical name if the file has them and
otherwise take their documented default.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from ingestion.errors import ProfileError
from salesplan.entities import ENTITIES, Column, Entity

FileFormat = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[FileFormat, ...] = ("csv", "parquet", "xlsx")

# Spellings of true/false every profile understands (compared case-insensitively); a profile's
# `booleans` section adds more (compared exactly, e.g. 是/否).
DEFAULT_TRUE = frozenset({"true", "t", "1", "yes", "y"})
DEFAULT_FALSE = frozenset({"false", "f", "0", "no", "n"})

_KEYS = frozenset(
    {
        "profile",
        "entity",
        "description",
        "pattern",
        "format",
        "encoding",
        "delimiter",
        "sheet",
        "optional",
        "columns",
        "values",
        "date_formats",
        "booleans",
        "constants",
    }
)
# strptime directives Python (and pandas.to_datetime) understand.
_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuV%")
_DIRECTIVE = re.compile(r"%(.?)")
_SAMPLE_TIME = dt.datetime(2026, 3, 7, 14, 5, 9, 123456)


@dataclass(frozen=True)
class SourceProfile:
    """One validated source profile.

    Attributes:
        name: unique profile name (the file stem).
        path: the YAML file it was loaded from.
        entity: the canonical entity its rows feed.
        pattern: glob relative to ``extracts/<YYYY-MM>/``; may match several files.
        format: ``csv``, ``parquet`` or ``xlsx``.
        encoding: text encoding of CSV files (normalised codec name).
        delimiter: CSV field delimiter.
        sheet: XLSX sheet index or name.
        optional: a month may lack a file for this profile.
        columns: canonical column -> source column, for the columns the export renames.
        values: canonical column -> {source value: canonical value}. A value that is neither
            a key nor already canonical (a target of the map or an allowed value) is an error.
        date_formats: canonical column -> strptime format (default ISO 8601).
        true_values: extra spellings of true (exact match).
        false_values: extra spellings of false (exact match).
        constants: canonical column -> value, for columns the export lacks.
        renames: ``columns`` was given, so the export is not in canonical shape.
    """

    name: str
    path: Path
    entity: Entity
    pattern: str
    format: FileFormat
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: int | str = 0
    optional: bool = False
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_formats: Mapping[str, str] = field(default_factory=dict)
    true_values: frozenset[str] = frozenset()
    false_values: frozenset[str] = frozenset()
    constants: Mapping[str, Any] = field(default_factory=dict)
    renames: bool = False

    def source_column(self, column: str) -> str:
        """Return the name the export gives canonical ``column``."""
        return self.columns.get(column, column)

    @property
    def label(self) -> str:
        """How messages name the profile: ``profiles/<file>``."""
        return f"profiles/{self.path.name}"


def load_profile(path: str | Path) -> SourceProfile:
    """Load and validate the source profile in ``path``.

    Raises:
        ProfileError: naming the file and key of the first problem found.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProfileError(
            f"profiles/{path.name}", None, "not UTF-8 text", "save the profile as UTF-8"
        ) from None
    return _parse_profile(path, text)


# Each of the 15 ingestion assets of a run discovers every profile, and parsing and validating
# one costs ~4 ms; keyed by the file's text, an edited profile is parsed again.
@lru_cache(maxsize=512)
def _parse_profile(path: Path, text: str) -> SourceProfile:
    label = f"profiles/{path.name}"
    try:
        document = yaml.load(text, Loader=_ProfileLoader)
    except yaml.YAMLError as error:
        raise ProfileError(label, None, f"not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ProfileError(label, None, "must be a mapping of keys (profile, entity, ...)")
    return _ProfileParser(label, path, document).parse()


def discover_profiles(folder: str | Path, entity: str | None = None) -> list[SourceProfile]:
    """Load every profile in ``folder`` (``*.yml``/``*.yaml``), optionally only one entity's.

    All profiles are validated (a broken profile is reported even when it feeds another
    entity, because its entity may be the broken part). Sorted by name.

    Raises:
        ProfileError: for the first invalid profile, or two profiles with the same name.
    """
    folder = Path(folder)
    paths = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]) if folder.is_dir() else []
    profiles = [load_profile(path) for path in paths]
    seen: dict[str, SourceProfile] = {}
    for profile in profiles:
        if profile.name in seen:
            raise ProfileError(
                profile.label,
                "profile",
                f"name {profile.name!r} is also used by {seen[profile.name].label}",
            )
        seen[profile.name] = profile
    return [p for p in profiles if entity is None or p.entity.name == entity]


class _ProfileLoader(yaml.SafeLoader):
    """YAML 1.2 booleans (only true/false) and an error on duplicate keys.

    PyYAML follows YAML 1.1, where ``yes``, ``no``, ``on``, ``off`` (and so region codes such
    as ``NO``) silently become booleans; in a profile they are labels.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ProfileLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ProfileLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _ProfileParser:
    def __init__(self, label: str, path: Path, document: dict[Any, Any]) -> None:
        self.label = label
        self.path = path
        self.doc = document

    def fail(self, key: str | None, message: str, hint: str | None = None) -> ProfileError:
        return ProfileError(self.label, key, message, hint)

    def parse(self) -> SourceProfile:
        unknown = sorted(str(key) for key in self.doc if key not in _KEYS)
        if unknown:
            raise self.fail(unknown[0], "unknown key", f"use only: {', '.join(sorted(_KEYS))}")
        name = self._text("profile")
        if name != self.path.stem:
            raise self.fail("profile", f"{name!r} differs from the file name {self.path.name!r}")
        entity = self._entity()
        file_format = self._text("format")
        if file_format not in FORMATS:
            raise self.fail("format", f"{file_format!r} is not one of {', '.join(FORMATS)}")
        columns = self._columns(entity)
        constants = self._constants(entity, columns)
        true_values, false_values = self._booleans()
        renames = "columns" in self.doc
        if renames:
            self._check_required(entity, columns, constants)
        return SourceProfile(
            name=name,
            path=self.path,
            entity=entity,
            pattern=self._pattern(),
            format=file_format,  # type: ignore[arg-type]
            encoding=self._encoding(),
            delimiter=self._delimiter(),
            sheet=self._sheet(),
            optional=self._optional(),
            columns=columns,
            values=self._values(entity),
            date_formats=self._date_formats(entity),
            true_values=true_values,
            false_values=false_values,
            constants=constants,
            renames=renames,
        )

    # ------------------------------------------------------------------ scalar keys
    def _text(self, key: str, default: str | None = None) -> str:
        value = self.doc.get(key, default)
        if value is None:
            raise self.fail(key, "is missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty text, not {value!r}")
        return value.strip()

    def _entity(self) -> Entity:
        name = self._text("entity")
        if name not in ENTITIES:
            raise self.fail(
                "entity", f"unknown entity {name!r}", f"use one of: {', '.join(ENTITIES)}"
            )
        return ENTITIES[name]

    def _pattern(self) -> str:
        pattern = self._text("pattern")
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise self.fail(
                "pattern", f"{pattern!r} must be a glob relative to extracts/<YYYY-MM>/"
            )
        return pattern

    def _encoding(self) -> str:
        encoding = self._text("encoding", "utf-8")
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            raise self.fail(
                "encoding", f"unknown encoding {encoding!r}", "use e.g. utf-8, gbk or gb18030"
            ) from None

    def _delimiter(self) -> str:
        delimiter = self.doc.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
            raise self.fail("delimiter", f"{delimiter!r} must be a single character like , or ;")
        return delimiter

    def _sheet(self) -> int | str:
        sheet = self.doc.get("sheet", 0)
        if isinstance(sheet, bool) or not isinstance(sheet, int | str):
            raise self.fail("sheet", f"{sheet!r} must be a sheet index (0 = first) or name")
        return sheet

    def _optional(self) -> bool:
        optional = self.doc.get("optional", False)
        if not isinstance(optional, bool):
            raise self.fail("optional", f"{optional!r} must be true or false")
        return optional

    # ------------------------------------------------------------------ sections
    def _section(self, key: str) -> dict[Any, Any]:
        section = self.doc.get(key) or {}
        if not isinstance(section, dict):
            raise self.fail(key, "must be a mapping of canonical column: value")
        return section

    def _canonical(self, entity: Entity, key: str, column: object) -> Column:
        if not isinstance(column, str) or column not in entity.column_names:
            raise self.fail(
                f"{key}.{column}",
                f"{column!r} is not a column of {entity.name}",
                f"canonical columns: {', '.join(entity.column_names)}",
            )
        return entity.column(column)

    def _columns(self, entity: Entity) -> dict[str, str]:
        columns: dict[str, str] = {}
        for column, source in self._section("columns").items():
            self._canonical(entity, "columns", column)
            if source is None or isinstance(source, bool) or not str(source).strip():
                raise self.fail(
                    f"columns.{column}",
                    "has no source column",
                    f"write the export's column name, e.g. {column}: {column}",
                )
            columns[column] = str(source).strip()
        return columns

    def _check_required(
        self, entity: Entity, columns: Mapping[str, str], constants: Mapping[str, Any]
    ) -> None:
        for column in entity.required_columns:
            if column not in columns and column not in constants:
                raise self.fail(
                    f"columns.{column}",
                    f"required column {column!r} is neither mapped nor set as a constant",
                    f"map it to the export's column ({column}: <source column>; write "
                    f"{column}: {column} if the name is the same) or add it under constants",
                )

    def _values(self, entity: Entity) -> dict[str, dict[str, str]]:
        values: dict[str, dict[str, str]] = {}
        for column_name, mapping in self._section("values").items():
            column = self._canonical(entity, "values", column_name)
            key = f"values.{column_name}"
            if column.dtype != "string":
                raise self.fail(
                    key,
                    f"{column_name} is a {column.dtype} column; value maps apply to text "
                    "columns only",
                    "use booleans for true/false spellings and date_formats for dates",
                )
            if not isinstance(mapping, dict) or not mapping:
                raise self.fail(key, "must be a non-empty mapping of source value: canonical")
            labels: dict[str, str] = {}
            for source, target in mapping.items():
                if target is None or not str(target).strip():
                    raise self.fail(f"{key}.{source}", "maps to nothing")
                target = str(target).strip()
                if column.allowed is not None and target not in column.allowed:
                    raise self.fail(
                        f"{key}.{source}",
                        f"{target!r} is not an allowed {column_name}",
                        f"allowed: {', '.join(column.allowed)}",
                    )
                labels[str(source).strip()] = target
            values[column.name] = labels
        return values

    def _date_formats(self, entity: Entity) -> dict[str, str]:
        formats: dict[str, str] = {}
        for column_name, fmt in self._section("date_formats").items():
            column = self._canonical(entity, "date_formats", column_name)
            key = f"date_formats.{column_name}"
            if column.dtype not in ("date", "timestamp"):
                raise self.fail(key, f"{column_name} is a {column.dtype} column, not a date")
            if not isinstance(fmt, str) or not fmt:
                raise self.fail(key, f"{fmt!r} must be a strptime format such as '%Y/%m/%d'")
            problem = strptime_format_problem(fmt)
            if problem:
                raise self.fail(
                    key,
                    f"{fmt!r} is not a valid strptime format: {problem}",
                    "see https://docs.python.org/3/library/datetime.html#format-codes, "
                    "e.g. '%Y/%m/%d %H:%M'",
                )
            formats[column.name] = fmt
        return formats

    def _booleans(self) -> tuple[frozenset[str], frozenset[str]]:
        section = self._section("booleans")
        spellings: dict[bool, frozenset[str]] = {True: frozenset(), False: frozenset()}
        for key, words in section.items():
            if key not in (True, False):
                raise self.fail(f"booleans.{key}", "only true and false may be listed")
            if not isinstance(words, list) or not words:
                raise self.fail(f"booleans.{str(key).lower()}", "must be a list of spellings")
            spellings[key] = frozenset(str(word).strip() for word in words)
        both = spellings[True] & spellings[False]
        if both:
            raise self.fail("booleans", f"{sorted(both)} listed as both true and false")
        return spellings[True], spellings[False]

    def _constants(self, entity: Entity, columns: Mapping[str, str]) -> dict[str, Any]:
        constants: dict[str, Any] = {}
        for column_name, value in self._section("constants").items():
            column = self._canonical(entity, "constants", column_name)
            key = f"constants.{column_name}"
            if column.name in columns:
                raise self.fail(key, "is both mapped under columns and set as a constant")
            problem = constant_problem(column, value)
            if problem:
                raise self.fail(key, problem)
            constants[column.name] = value
        return constants


def strptime_format_problem(fmt: str) -> str | None:
    """Return why ``fmt`` is not a usable date format, or ``None`` when it is.

    A usable format uses only strptime directives, names a year and either a month and day
    or a day of the year, and parses what it formats.
    """
    directives = [match.group(1) for match in _DIRECTIVE.finditer(fmt)]
    for directive in directives:
        if directive == "":
            return "it ends with a lone '%'"
        if directive not in _DIRECTIVES:
            return f"'%{directive}' is not a strptime directive"
    present = set(directives)
    if not present & {"Y", "y", "G"}:
        return "it has no year (%Y or %y)"
    has_day = ({"m", "b", "B"} & present and "d" in present) or "j" in present
    if not has_day and not {"G", "V", "u"} <= present:
        return "it needs a month and a day (%m and %d) or a day of the year (%j)"
    try:
        sample = _SAMPLE_TIME.replace(tzinfo=dt.UTC) if "z" in present else _SAMPLE_TIME
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as error:
        return str(error)
    return None


def constant_problem(column: Column, value: object) -> str | None:
    """Return why ``value`` cannot be the constant of ``column``, or ``None`` when it can."""
    if value is None:
        return None if column.nullable else f"{column.name} is required and cannot be null"
    kind = column.dtype
    ok = {
        "string": isinstance(value, str | int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "decimal": isinstance(value, int | float) and not isinstance(value, bool),
        "date": isinstance(value, dt.date) or _iso_date(value),
        "timestamp": isinstance(value, dt.date) or _iso_date(value),
    }[kind]
    if not ok:
        return f"{value!r} is not a {kind}"
    if column.allowed is not None and str(value) not in column.allowed:
        return f"{value!r} is not an allowed {column.name}; allowed: {', '.join(column.allowed)}"
    if column.non_negative and isinstance(value, int | float) and value < 0:
        return f"{value!r} is negative"
    return None


def _iso_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
