def test_an_early_close_is_said_on_the_quiz_page_before_it_leaves(
    page: Any, seed: Callable[[], Any]
) -> None:
    from quiz_app.extensions import db
    from quiz_app.models import Quiz
    from quiz_app.services import campaigns

    s = seed_quiz(
        seed,
        username="zhengshiyi",
        sections=(("single", 2, "1"),),
        time_limit_seconds=900,
        title="提前结束的竞答",
        branch_name="法规科",
        real_name="郑十一",
    )
    sign_in(page, s.username, PASSWORD)
    attempt_id = start_quiz(page, s.quiz_title)
    pick(page, "B")
    saved(page)
    with seed():
        campaigns.close(db.session.get(Quiz, s.quiz_id).campaign)
    page.wait_for_timeout(3500)  # past the save grace (3 s in these tests)
    page.gates.allowed_errors.append("status of 409")
    page.get_by_role("button", name="下一题").tap()
    pick(page, "A")  # refused: the quiz is over
    note = page.locator(".qz-finishing")
    expect(note).to_contain_text("组织者提前结束了活动，已按保存的答案自动交卷")
    expect(note.get_by_role("link", name="查看成绩")).to_be_visible()
    page.wait_for_url(f"**/my/results/{attempt_id}")
    expect(page.locator(".end-note")).to_have_text("组织者提前结束了活动，已按保存的答案自动交卷")
    expect(page.locator(".score")).to_have_text(re.compile(r"^\s*1 / 2 分\s*$"))
