"""The pipeline board, the tasks page and the products page in a real browser: drag a card
to another stage (the counts follow and the move is still there after a reload), move one
with the keyboard's "Move to", complete a task in one click, add a product; no page is
wider than a 390 px phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect

from accounts.models import User
from crm.models import Lead, PipelineStage, Product, Task
from tenants.models import Workspace
from tests.support.browser import chromium_page
from tests.support.clients import OWNER_PASSWORD
from tests.support.servers import ROOT, gunicorn_app
from tests.support.workers import committed_workspace, worker_env

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def workspace(django_db_blocker) -> Iterator[Workspace]:
    with committed_workspace(django_db_blocker, prefix="board", name="Board Coaching") as ws:
        with django_db_blocker.unblock(), schema_context(ws.schema_name):
            owner = User.objects.get()
            first = PipelineStage.objects.get(name="New")
            Lead.objects.bulk_create(
                [
                    Lead(first_name="Ada", last_name="Lovelace", email=f"ada@{ws.slug}.example",
                         company="Analytical Courses", tags=["vip"], stage=first, owner=owner),
                    Lead(first_name="Grace", last_name="Hopper", email=f"grace@{ws.slug}.example",
                         stage=first),
                    Lead(first_name="Alan", last_name="Turing", email=f"alan@{ws.slug}.example",
                         stage=first),
                ]
            )  # fmt: skip
            Task.objects.create(
                title="Call Ada about the cohort",
                assignee=owner,
                lead=Lead.objects.get(first_name="Ada"),
            )
        yield ws


def _count(page: Page, stage_key: object):
    return page.locator(f'[data-count="{stage_key}"]')


def _check_phone_width(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_board_tasks_and_products_in_the_browser(
    workspace: Workspace, django_db_blocker, tmp_path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        stages = {stage.name: stage.pk for stage in PipelineStage.objects.all()}
    with gunicorn_app(worker_env(LOG_LEVEL="WARNING"), log_path=tmp_path / "web.log") as url:
        base = url.replace("127.0.0.1", workspace.primary_host)
        with chromium_page() as page:
            page.goto(f"{base}/login/")
            page.get_by_label("Email").fill(f"owner@{workspace.slug}.example")
            page.get_by_label("Password").fill(OWNER_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")

            _drag_and_move(page, base, stages)
            _check_phone_width(page, "pipeline")
            _complete_a_task(page, base)
            _add_a_product(page, base)

    with django_db_blocker.unblock(), schema_context(workspace.schema_name):
        assert Lead.objects.get(first_name="Ada").stage_id == stages["Won"]
        assert Lead.objects.get(first_name="Grace").stage_id == stages["Qualified"]
        assert Task.objects.get().done_at is not None
        product = Product.objects.get()
    assert (product.name, str(product.price), product.currency) == ("Spring cohort", "490.00",
                                                                    "GBP")  # fmt: skip
    assert (product.billing, product.interval) == ("recurring", "month")


def _drag_and_move(page: Page, base: str, stages: dict[str, int]) -> None:
    page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Pipeline").click()
    page.wait_for_url(f"{base}/pipeline/")
    expect(_count(page, stages["New"])).to_have_text("3")
    expect(_count(page, stages["Won"])).to_have_text("0")

    card = page.locator(".board-card", has_text="Ada Lovelace")
    card.locator(".board-card-company").drag_to(page.locator(f"#cards-{stages['Contacted']}"))

    expect(_count(page, stages["Contacted"])).to_have_text("1")
    expect(_count(page, stages["New"])).to_have_text("2")
    expect(page.locator(".toast").last).to_contain_text("Ada Lovelace moved to Contacted.")
    page.screenshot(path=str(ARTIFACTS / "pipeline-after-drag.png"))

    page.reload()
    expect(page.locator(f"#cards-{stages['Contacted']}")).to_contain_text("Ada Lovelace")
    expect(_count(page, stages["Contacted"])).to_have_text("1")

    # The keyboard's way: the card's "Move to" select and its Move button, to a column
    # beyond the edge of the screen.
    page.get_by_label("Move Ada Lovelace to").select_option(label="Won")
    page.get_by_role("button", name="Move Ada Lovelace").click()
    expect(page.locator(f"#cards-{stages['Won']}")).to_contain_text("Ada Lovelace")
    expect(_count(page, stages["Won"])).to_have_text("1")
    expect(_count(page, stages["Contacted"])).to_have_text("0")
    page.get_by_label("Move Grace Hopper to").select_option(label="Qualified")
    page.get_by_role("button", name="Move Grace Hopper").click()
    expect(_count(page, stages["Qualified"])).to_have_text("1")
    expect(_count(page, stages["New"])).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "pipeline-1280.png"))


def _complete_a_task(page: Page, base: str) -> None:
    page.goto(f"{base}/tasks/")
    row = page.locator("tr", has_text="Call Ada about the cohort")
    expect(row).to_contain_text("Ada Lovelace")
    row.get_by_role("button", name="Complete “Call Ada about the cohort”").click()
    expect(row.get_by_role("button", name="Reopen “Call Ada about the cohort”")).to_be_visible()
    expect(row).to_contain_text("Done")
    page.screenshot(path=str(ARTIFACTS / "tasks-1280.png"))
    page.goto(f"{base}/tasks/?tab=done")
    expect(page.locator("table")).to_contain_text("Call Ada about the cohort")
    _check_phone_width(page, "tasks")


def _add_a_product(page: Page, base: str) -> None:
    page.goto(f"{base}/products/")
    expect(page.get_by_role("heading", name="No products yet")).to_be_visible()
    page.get_by_role("link", name="New product").first.click()
    page.get_by_label("Name", exact=True).fill("Spring cohort")
    page.get_by_label("Price", exact=True).fill("490")
    page.get_by_label("Currency", exact=True).select_option("GBP")
    page.get_by_label("Recurring").check()
    page.get_by_role("button", name="Add the product").click()
    expect(page.locator(".field-error")).to_contain_text("needs an interval")
    page.get_by_label("Every", exact=True).select_option(label="Monthly")
    page.get_by_role("button", name="Add the product").click()
    page.wait_for_url(f"{base}/products/")
    expect(page.locator("table")).to_contain_text("Spring cohort")
    expect(page.locator("table")).to_contain_text("490.00 GBP")
    expect(page.locator("table")).to_contain_text("Monthly")
    page.screenshot(path=str(ARTIFACTS / "products-1280.png"))
    _check_phone_width(page, "products")
