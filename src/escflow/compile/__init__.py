"""Definitions in, runnable flows out: checks, the flow graph, the compiled form."""

from escflow.compile._checks import FLOW_RULES, MATRIX_RULES, Rule
from escflow.compile._compile import (
    Report,
    check_paths,
    compile_flow,
    compile_source,
    load_matrix,
)
from escflow.compile._compiled import (
    BrokenFile,
    CompiledFlow,
    CompiledLevel,
    CompiledStep,
    CompiledTrigger,
    EffectivePriority,
    Matrix,
    TriggerKind,
)

__all__ = [
    "FLOW_RULES",
    "MATRIX_RULES",
    "BrokenFile",
    "CompiledFlow",
    "CompiledLevel",
    "CompiledStep",
    "CompiledTrigger",
    "EffectivePriority",
    "Matrix",
    "Report",
    "Rule",
    "TriggerKind",
    "check_paths",
    "compile_flow",
    "compile_source",
    "load_matrix",
]
