"""What clickpred makes of a table's columns: :class:`Column` (kind, type at training, evidence) and
:class:`Schema` (feature columns, target, classes, what was dropped or renamed), stored in every model file."""

from dataclasses import asdict, dataclass, field


@dataclass
class Column:
    """One feature column and what clickpred makes of it."""

    name: str
    kind: str  # numeric | categorical | id | timestamp
    n_unique: int
    n_missing: int
    source: str = ""  # the header as written in the file, if it was renamed
    dtype: str = "string"  # type at training (cast.dtype_of): how raw values become categories
    evidence: str = ""  # why an integer column was read as codes or as a quantity (clickpred.io.codes)
    of: list[str] = field(default_factory=list)  # a cross (clickpred.io.crosses): the two columns it pairs
    times_of_day: bool = True  # a timestamp column whose training values had times of day (not dates alone)
    bins: str = ""  # a numeric column: why it also gets bins beside its slope (clickpred.io.codes.bins_verdicts)


@dataclass
class Schema:
    """Feature columns, target and classes (majority first), plus what was dropped and why."""

    target: str
    classes: list[str]
    features: list[Column]
    dropped: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)

    def names(self, kind: str) -> list[str]:
        return [c.name for c in self.features if c.kind == kind]

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.features]

    @property
    def input_names(self) -> list[str]:
        """The columns read from a file (crosses are computed from them)."""
        return [c.name for c in self.features if not c.of]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Schema":
        return cls(
            target=d["target"],
            classes=list(d["classes"]),
            features=[Column(**c) for c in d["features"]],
            dropped=dict(d.get("dropped", {})),
            renamed=dict(d.get("renamed", {})),
        )
