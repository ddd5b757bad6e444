# SPDX-License-Identifier: Apache-2.0
"""The builtin ops TFLM has kernels for: the one table of op support.

Each op maps to the ``tflite::MicroMutableOpResolver`` method that registers it
(``micro_mutable_op_resolver.h``) and to the kernel file stems under
``tensorflow/lite/micro/kernels/`` that implement it (the ``*_common.cc`` helpers a
kernel shares with its optimized variant included). Model inspection, the generated
op resolver and the TFLM source selection all read this table, so an op that passes
verification also builds. TFLM-only custom ops (signal processing, Ethos-U...) are
not builtins and are absent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TflmOp:
    """How TFLM registers and builds one builtin op."""

    resolver_method: str  # e.g. "AddConv2D"
    kernels: tuple[str, ...]  # kernel file stems, e.g. ("conv", "conv_common")


TFLM_OPS: dict[str, TflmOp] = {
    "ABS": TflmOp("AddAbs", ("elementwise",)),
    "ADD": TflmOp("AddAdd", ("add", "add_common")),
    "ADD_N": TflmOp("AddAddN", ("add_n",)),
    "ARG_MAX": TflmOp("AddArgMax", ("arg_min_max",)),
    "ARG_MIN": TflmOp("AddArgMin", ("arg_min_max",)),
    "ASSIGN_VARIABLE": TflmOp("AddAssignVariable", ("assign_variable",)),
    "AVERAGE_POOL_2D": TflmOp("AddAveragePool2D", ("pooling", "pooling_common")),
    "BATCH_MATMUL": TflmOp("AddBatchMatMul", ("batch_matmul", "batch_matmul_common")),
    "BATCH_TO_SPACE_ND": TflmOp("AddBatchToSpaceNd", ("batch_to_space_nd",)),
    "BROADCAST_ARGS": TflmOp("AddBroadcastArgs", ("broadcast_args",)),
    "BROADCAST_TO": TflmOp("AddBroadcastTo", ("broadcast_to",)),
    "CALL_ONCE": TflmOp("AddCallOnce", ("call_once",)),
    "CAST": TflmOp("AddCast", ("cast",)),
    "CEIL": TflmOp("AddCeil", ("ceil",)),
    "CONCATENATION": TflmOp("AddConcatenation", ("concatenation",)),
    "CONV_2D": TflmOp("AddConv2D", ("conv", "conv_common")),
    "COS": TflmOp("AddCos", ("elementwise",)),
    "CUMSUM": TflmOp("AddCumSum", ("cumsum",)),
    "DEPTHWISE_CONV_2D": TflmOp(
        "AddDepthwiseConv2D",
        ("depthwise_conv", "depthwise_conv_common"),
    ),
    "DEPTH_TO_SPACE": TflmOp("AddDepthToSpace", ("depth_to_space",)),
    "DEQUANTIZE": TflmOp("AddDequantize", ("dequantize", "dequantize_common")),
    "DIV": TflmOp("AddDiv", ("div",)),
    "DYNAMIC_UPDATE_SLICE": TflmOp("AddDynamicUpdateSlice", ("dynamic_update_slice",)),
    "ELU": TflmOp("AddElu", ("elu",)),
    "EMBEDDING_LOOKUP": TflmOp("AddEmbeddingLookup", ("embedding_lookup",)),
    "EQUAL": TflmOp("AddEqual", ("comparisons",)),
    "EXP": TflmOp("AddExp", ("exp",)),
    "EXPAND_DIMS": TflmOp("AddExpandDims", ("expand_dims",)),
    "FILL": TflmOp("AddFill", ("fill",)),
    "FLOOR": TflmOp("AddFloor", ("floor",)),
    "FLOOR_DIV": TflmOp("AddFloorDiv", ("floor_div",)),
    "FLOOR_MOD": TflmOp("AddFloorMod", ("floor_mod",)),
    "FULLY_CONNECTED": TflmOp(
        "AddFullyConnected",
        ("fully_connected", "fully_connected_common"),
    ),
    "GATHER": TflmOp("AddGather", ("gather",)),
    "GATHER_ND": TflmOp("AddGatherNd", ("gather_nd",)),
    "GREATER": TflmOp("AddGreater", ("comparisons",)),
    "GREATER_EQUAL": TflmOp("AddGreaterEqual", ("comparisons",)),
    "HARD_SWISH": TflmOp("AddHardSwish", ("hard_swish", "hard_swish_common")),
    "IF": TflmOp("AddIf", ("if",)),
    "L2_NORMALIZATION": TflmOp("AddL2Normalization", ("l2norm",)),
    "L2_POOL_2D": TflmOp("AddL2Pool2D", ("l2_pool_2d",)),
    "LEAKY_RELU": TflmOp("AddLeakyRelu", ("leaky_relu", "leaky_relu_common")),
    "LESS": TflmOp("AddLess", ("comparisons",)),
    "LESS_EQUAL": TflmOp("AddLessEqual", ("comparisons",)),
    "LOG": TflmOp("AddLog", ("elementwise",)),
    "LOGICAL_AND": TflmOp("AddLogicalAnd", ("logical", "logical_common")),
    "LOGICAL_NOT": TflmOp("AddLogicalNot", ("elementwise",)),
    "LOGICAL_OR": TflmOp("AddLogicalOr", ("logical", "logical_common")),
    "LOGISTIC": TflmOp("AddLogistic", ("logistic", "logistic_common")),
    "LOG_SOFTMAX": TflmOp("AddLogSoftmax", ("log_softmax",)),
    "MAXIMUM": TflmOp("AddMaximum", ("maximum_minimum",)),
    "MAX_POOL_2D": TflmOp("AddMaxPool2D", ("pooling", "pooling_common")),
    "MEAN": TflmOp("AddMean", ("reduce", "reduce_common")),
    "MINIMUM": TflmOp("AddMinimum", ("maximum_minimum",)),
    "MIRROR_PAD": TflmOp("AddMirrorPad", ("mirror_pad",)),
    "MUL": TflmOp("AddMul", ("mul", "mul_common")),
    "NEG": TflmOp("AddNeg", ("neg",)),
    "NOT_EQUAL": TflmOp("AddNotEqual", ("comparisons",)),
    "PACK": TflmOp("AddPack", ("pack",)),
    "PAD": TflmOp("AddPad", ("pad", "pad_common")),
    "PADV2": TflmOp("AddPadV2", ("pad", "pad_common")),
    "PRELU": TflmOp("AddPrelu", ("prelu", "prelu_common")),
    "QUANTIZE": TflmOp("AddQuantize", ("quantize", "quantize_common")),
    "READ_VARIABLE": TflmOp("AddReadVariable", ("read_variable",)),
    "REDUCE_ALL": TflmOp("AddReduceAll", ("reduce", "reduce_common")),
    "REDUCE_MAX": TflmOp("AddReduceMax", ("reduce", "reduce_common")),
    "REDUCE_MIN": TflmOp("AddReduceMin", ("reduce", "reduce_common")),
    "RELU": TflmOp("AddRelu", ("activations", "activations_common")),
    "RELU6": TflmOp("AddRelu6", ("activations", "activations_common")),
    "RESHAPE": TflmOp("AddReshape", ("reshape", "reshape_common")),
    "RESIZE_BILINEAR": TflmOp("AddResizeBilinear", ("resize_bilinear",)),
    "RESIZE_NEAREST_NEIGHBOR": TflmOp(
        "AddResizeNearestNeighbor",
        ("resize_nearest_neighbor",),
    ),
    "REVERSE_V2": TflmOp("AddReverseV2", ("reverse",)),
    "ROUND": TflmOp("AddRound", ("round",)),
    "RSQRT": TflmOp("AddRsqrt", ("elementwise",)),
    "SELECT_V2": TflmOp("AddSelectV2", ("select",)),
    "SHAPE": TflmOp("AddShape", ("shape",)),
    "SIN": TflmOp("AddSin", ("elementwise",)),
    "SLICE": TflmOp("AddSlice", ("slice",)),
    "SOFTMAX": TflmOp("AddSoftmax", ("softmax", "softmax_common")),
    "SPACE_TO_BATCH_ND": TflmOp("AddSpaceToBatchNd", ("space_to_batch_nd",)),
    "SPACE_TO_DEPTH": TflmOp("AddSpaceToDepth", ("space_to_depth",)),
    "SPLIT": TflmOp("AddSplit", ("split",)),
    "SPLIT_V": TflmOp("AddSplitV", ("split_v",)),
    "SQRT": TflmOp("AddSqrt", ("elementwise",)),
    "SQUARE": TflmOp("AddSquare", ("elementwise",)),
    "SQUARED_DIFFERENCE": TflmOp("AddSquaredDifference", ("squared_difference",)),
    "SQUEEZE": TflmOp("AddSqueeze", ("squeeze",)),
    "STRIDED_SLICE": TflmOp(
        "AddStridedSlice",
        ("strided_slice", "strided_slice_common"),
    ),
    "SUB": TflmOp("AddSub", ("sub", "sub_common")),
    "SUM": TflmOp("AddSum", ("reduce", "reduce_common")),
    "SVDF": TflmOp("AddSvdf", ("svdf", "svdf_common")),
    "TANH": TflmOp("AddTanh", ("tanh",)),
    "TRANSPOSE": TflmOp("AddTranspose", ("transpose", "transpose_common")),
    "TRANSPOSE_CONV": TflmOp("AddTransposeConv", ("transpose_conv",)),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": TflmOp(
        "AddUnidirectionalSequenceLSTM",
        ("unidirectional_sequence_lstm", "lstm_eval", "lstm_eval_common"),
    ),
    "UNPACK": TflmOp("AddUnpack", ("unpack",)),
    "VAR_HANDLE": TflmOp("AddVarHandle", ("var_handle",)),
    "WHILE": TflmOp("AddWhile", ("while",)),
    "ZEROS_LIKE": TflmOp("AddZerosLike", ("zeros_like",)),
}

__all__ = ["TFLM_OPS", "TflmOp"]
