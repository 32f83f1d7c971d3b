"""Hypothesis strategies for random valid specs (validity is checked by `analyse`)."""

from __future__ import annotations

from hypothesis import assume
from hypothesis import strategies as st

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.spec import FC, SPP, Conv, GlobalAvgPool, InputShape, Pool, Spec

paddings = st.one_of(
    st.just("same"),
    st.just("valid"),
    st.integers(0, 2),
    st.tuples(*[st.integers(0, 2)] * 4),
)
convs = st.builds(
    Conv,
    filters=st.integers(1, 24).map(lambda n: 2 * n),
    size=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=paddings,
    groups=st.sampled_from([1, 1, 2]),
    repeat=st.integers(1, 3),
)


@st.composite
def pools(draw):
    size = draw(st.integers(1, 3))
    return Pool(
        type=draw(st.sampled_from(["maxpool", "avgpool"])),
        size=size,
        stride=draw(st.integers(1, 3)),
        padding=draw(st.integers(0, size // 2)),
    )


heads = st.one_of(
    st.just([]),
    st.just([GlobalAvgPool()]),
    st.lists(st.integers(1, 3), min_size=1, max_size=3, unique=True).map(lambda ls: [SPP(levels=tuple(ls))]),
)


@st.composite
def specs(draw) -> Spec:
    channels = draw(st.sampled_from([1, 2, 3, 4]))
    side = draw(st.integers(4, 40))
    body = draw(st.lists(st.one_of(convs, convs, pools()), min_size=1, max_size=8))
    fcs = [
        FC(units=n, dropout=d)
        for n, d in draw(st.lists(st.tuples(st.integers(1, 64), st.sampled_from([0.0, 0.5])), max_size=2))
    ]
    spec = Spec(
        input=InputShape(channels=channels, height=side, width=side),
        layers=[*body, *draw(heads), *fcs],
    )
    try:
        analyse(spec)
    except SpecError:
        assume(False)
    return spec
