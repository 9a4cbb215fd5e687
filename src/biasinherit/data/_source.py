"""The ``original:`` section of a config: where the original data comes from and how a user
file's columns and values map onto the attribute's groups and labels.

Declared here, by the data it describes; ``biasinherit.config`` nests it in the experiment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from biasinherit.settings import Section


class ColumnsConfig(Section):
    """Which column of a user file holds what (default: the usual names, see the README)."""

    text: str | None = Field(None, description="column of the text (e.g. bio, hard_text)")
    label: str | None = Field(None, description="column of the label (e.g. occupation, job)")
    group: str | None = Field(None, description="column of the group (e.g. gender, sex)")
    split: str | None = Field(None, description="column saying train or test (optional)")
    id: str | None = Field(None, description="column of a row id (optional)")


class ValuesConfig(Section):
    """How raw values of a user file map to the attribute's groups and labels."""

    group: dict[str, str] = Field(default_factory=dict, description="raw -> group, F: female")
    label: dict[str, str] = Field(default_factory=dict, description="raw -> label, RN: nurse")

    @field_validator("group", "label", mode="before")
    @classmethod
    def _as_text(cls, v: object) -> object:
        # YAML reads {0: male, 1: female} with integer keys; the file's values are text.
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else v


class OriginalConfig(Section):
    source: str = Field(
        "templates", description="'templates' or a CSV, TSV, JSONL or Parquet file of rows"
    )
    per_group: int = Field(
        10,
        ge=1,
        description="template biographies per occupation x gender (gender), or real labelled "
        "rows per label (culture: the augment.task data set's train split)",
    )
    format: Literal["auto", "csv", "tsv", "jsonl", "parquet", "bias_in_bios"] = Field(
        "auto",
        description="file format (auto: by extension); bias_in_bios: the public release's "
        "fields hard_text, profession (0..27), gender (0 male, 1 female)",
    )
    columns: ColumnsConfig = Field(default_factory=ColumnsConfig)
    values: ValuesConfig = Field(default_factory=ValuesConfig)
    delimiter: str | None = Field(None, description="CSV delimiter (default: detected)")
    encoding: str | None = Field(None, description="file encoding (default: detected)")
    test_source: str | None = Field(
        None, description="a separate file of test rows (default: split the source)"
    )
    test_fraction: float = Field(
        0.2, gt=0, lt=1, description="share of each label x group held out for testing"
    )
    split_seed: int = Field(0, description="seed of the train/test split of user data")
    max_unknown: float = Field(
        0.1, ge=0, le=1, description="share of rows with unknown labels or groups tolerated"
    )
    max_per_cell: int | None = Field(
        None, ge=1, description="cap on training rows per label x group (seeded sample)"
    )

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str | None) -> str | None:
        if v is not None and len(v.replace("\\t", "\t")) != 1:
            raise ValueError(f"delimiter must be one character, got {v!r}")
        return v.replace("\\t", "\t") if v else v
