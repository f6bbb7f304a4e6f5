"""\"Did you mean\" hints for unknown names, ops and blocks."""

from __future__ import annotations

from difflib import get_close_matches


def suggest(name: str, candidates: list[str]) -> str | None:
    close = get_close_matches(name, candidates, n=1, cutoff=0.7)
    return f"did you mean `{close[0]}`?" if close else None


# What other frameworks call archdsl's ops (compared without case and underscores).
LAYER_SYNONYMS = {
    "convolution": "conv",
    "conv2": "conv",
    "dense": "linear",
    "fc": "linear",
    "fullyconnected": "linear",
    "batchnormalization": "batchnorm",
    "bn2d": "batchnorm",
    "maxpooling2d": "maxpool",
    "averagepooling2d": "avgpool",
    "avgpooling": "avgpool",
    "maxpooling": "maxpool",
    "pool": "maxpool",
    "globalaveragepooling2d": "global_avgpool",
    "globalavgpool2d": "global_avgpool",
    "gap": "global_avgpool",
    "adaptiveavgpool2d": "adaptive_avgpool",
    "adaptivemaxpool2d": "adaptive_maxpool",
    "concatenate": "concat",
    "multiply": "mul",
    "residual": "add",
    "swish": "silu",
    "hswish": "hardswish",
    "hsigmoid": "hardsigmoid",
    "leakyrelu": "leaky_relu",
    "lrelu": "leaky_relu",
    "droppath": "stochastic_depth",
    "shuffle": "channel_shuffle",
    "localresponsenorm": "local_response_norm",
}


def suggest_layer(name: str, candidates: list[str]) -> str | None:
    """ "did you mean" for an op or block: `MaxPool2d` -> `maxpool2d`, `dense` -> `linear`, `convv` -> `conv`."""

    def norm(text: str) -> str:
        return text.lower().replace("_", "")

    for candidate in candidates:
        if norm(candidate) == norm(name):
            return f"did you mean `{candidate}`?"
    if norm(name) in LAYER_SYNONYMS:
        return f"archdsl calls it `{LAYER_SYNONYMS[norm(name)]}`"
    return suggest(name, candidates)
