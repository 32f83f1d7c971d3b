"""The Pareto front of a leaderboard: the entries no other entry beats on both cost and error."""

from __future__ import annotations

from collections.abc import Sequence


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the (cost, error) points no other point dominates (lower or equal cost and error,
    one of them strictly lower), ordered by cost: the best error available at each cost. Equal
    points do not dominate each other, so ties all stay on the front."""

    def dominated(i: int) -> bool:
        ci, ei = points[i]
        return any(
            cj <= ci and ej <= ei and (cj < ci or ej < ei) for j, (cj, ej) in enumerate(points) if j != i
        )

    return sorted((i for i in range(len(points)) if not dominated(i)), key=lambda i: (points[i], i))
