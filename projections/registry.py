"""The projections safehub runs, by name."""

from __future__ import annotations

from projections.children import ChildrenView
from projections.deadlines import DeadlinesView
from projections.memberships import MembershipsView
from projections.notices import NoticesView
from projections.programme import ProgrammeView
from projections.risk import RiskView
from projections.timeline import TimelineView
from projections.views import ViewMixin

VIEWS: dict[str, type[ViewMixin]] = {
    view.name: view
    for view in (TimelineView, RiskView, DeadlinesView, ProgrammeView, MembershipsView, ChildrenView, NoticesView)
}
