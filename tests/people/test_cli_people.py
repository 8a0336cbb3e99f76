"""`lanewatch users …` / `lanewatch orgs …` and the first administrator of `lanewatch serve`."""

from __future__ import annotations

import stat

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from lanewatch.cli import app
from lanewatch.people import accounts, passwords
from lanewatch.service import ensure_first_admin
from lanewatch.store.db import open_engine
from lanewatch.store.people_tables import AuditRow, OrganisationRow, PersonRow, SignInRow

runner = CliRunner()
ORGS_CSV = """code,name,kind,parent_code
jd-east,东街道,street,district
sq-willow,柳树社区,community,jd-east
qy-plant,东方化工厂,enterprise,jd-east
fire-brigade,区消防救援大队,agency,district
"""


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'lanewatch.db'}"
    engine = open_engine(url)
    yield url, engine
    engine.dispose()


def cli(url, *args, stdin=None):
    return runner.invoke(app, [*args, "--database-url", url], input=stdin)


def test_orgs_import_is_an_idempotent_upsert_by_code(db, tmp_path) -> None:
    url, engine = db
    path = tmp_path / "orgs.csv"
    path.write_text(ORGS_CSV, encoding="utf-8")
    first = cli(url, "orgs", "import", str(path))
    assert first.exit_code == 0, first.output
    assert "新增 4" in first.output
    again = cli(url, "orgs", "import", str(path))
    assert "新增 0，更新 0，未变 4" in again.output
    path.write_text(ORGS_CSV.replace("柳树社区", "柳树新村"), encoding="utf-8")
    assert "更新 1" in cli(url, "orgs", "import", str(path)).output
    with Session(engine) as session:
        willow = session.exec(select(OrganisationRow).where(OrganisationRow.code == "sq-willow")).one()
        east = session.exec(select(OrganisationRow).where(OrganisationRow.code == "jd-east")).one()
        assert (willow.name, willow.parent_pk) == ("柳树新村", east.pk)
        assert len(session.exec(select(AuditRow).where(AuditRow.target_kind == "organisation")).all()) == 5
    listed = cli(url, "orgs", "list")
    assert "  sq-willow" in listed.output and "柳树新村" in listed.output


def test_orgs_import_reads_yaml_too(db, tmp_path) -> None:
    url, engine = db
    path = tmp_path / "orgs.yaml"
    path.write_text("organisations:\n  - {code: jd-west, name: 西街道, kind: street, parent_code: district}\n")
    assert cli(url, "orgs", "import", str(path)).exit_code == 0
    with Session(engine) as session:
        assert session.exec(select(OrganisationRow).where(OrganisationRow.code == "jd-west")).one().kind == "street"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("code,name\nx,y\n", "CSV 第一行须是列名 code,name,kind,parent_code（缺少 kind）"),
        (
            "code,name,kind,parent_code\njd,街道,street,nowhere\n",
            "第 2 行第 4 列（parent_code）：上级机构 “nowhere” 不存在",
        ),
        (
            "code,name,kind,parent_code\njd,街道,street,district\nsq,社区,community,jd\nsq,又一个,community,jd\n",
            "第 4 行第 1 列（code）：代码 “sq” 与第 3 行重复",
        ),
        (
            "code,name,kind,parent_code\nsq,社区,community,\n",
            "第 2 行第 4 列（parent_code）：社区须有上级机构（街道/镇 / 区）",
        ),
        ("code,name,kind,parent_code\n,社区,community,district\n", "第 2 行第 1 列（code）：不能为空"),
        ("name,code,kind\n社区,sq,planet\n", "第 2 行第 3 列（kind）：没有机构类型 “planet”"),
        ("code,name,kind,parent_code,note\nsq,社区,community,district,x\n", "第 1 行第 5 列（note）：未知的列"),
        ("code,name,kind\nsq,社区,community,district\n", "第 2 行第 4 列：值比列名多"),
        (
            "code,name,kind,parent_code\nsq,社区,street,district\njd,消防大队,agency,sq\n",
            "第 3 行第 4 列（parent_code）：区级单位不能挂在街道/镇下面：上级须是区",
        ),
        (
            "code,name,kind\nsq,社区,community\n" + "x," + "长" * 201 + ",street\n",
            "第 3 行第 2 列（name）：最多 200 个字符",
        ),
    ],
)
def test_a_bad_organisation_file_names_its_line_and_writes_nothing(db, tmp_path, text, problem) -> None:
    url, engine = db
    path = tmp_path / "orgs.csv"
    path.write_text(text, encoding="utf-8")
    result = cli(url, "orgs", "import", str(path))
    assert result.exit_code == 2
    assert problem in " ".join(result.output.split())
    with Session(engine) as session:
        assert len(session.exec(select(OrganisationRow)).all()) == 1  # only the default district


def test_users_add_list_passwd_disable(db) -> None:
    url, engine = db
    made = cli(
        url,
        "users",
        "add",
        "zhang",
        "--role",
        "property_manager",
        "--org",
        "district",
        "--name",
        "张三",
        "--password-stdin",
        stdin="willow-lane-01\n",
    )
    assert made.exit_code == 0, made.output
    assert "已添加用户 “zhang”" in made.output
    listed = cli(url, "users", "list")
    assert "张三" in listed.output and "property_manager" in listed.output and "待改密码" in listed.output
    refused = cli(url, "users", "add", "li", "--role", "boss", "--org", "district", "--password-stdin", stdin="x" * 12)
    assert refused.exit_code == 2 and "没有角色 “boss”" in refused.output
    short = cli(url, "users", "add", "li", "--role", "viewer", "--org", "district", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "至少需要 10 个字符" in short.output
    no_org = cli(url, "users", "add", "li", "--role", "viewer", "--org", "moon", "--password-stdin", stdin="x" * 12)
    assert no_org.exit_code == 2 and "没有代码为 “moon” 的机构" in no_org.output
    with Session(engine) as session:
        zhang = accounts.find(session, "zhang")
        session.add(SignInRow(token_hash="a" * 64, csrf_hash="b" * 64, person_pk=zhang.pk, expires_at=zhang.created_at))
        session.commit()
    changed = cli(url, "users", "passwd", "zhang", "--no-must-change", "--password-stdin", stdin="another-lane-02\n")
    assert changed.exit_code == 0, changed.output
    assert cli(url, "users", "disable", "zhang").exit_code == 0
    with Session(engine) as session:
        zhang = accounts.find(session, "zhang")
        assert passwords.verify(zhang.password_hash, "another-lane-02")
        assert not accounts.must_change_password(zhang) and zhang.disabled
        assert session.exec(select(SignInRow)).one().revoked_at is not None
        actions = [row.action for row in session.exec(select(AuditRow).order_by(AuditRow.pk))]
        assert actions == ["person.create", "person.password_reset", "person.disable"]
    assert "已停用" in cli(url, "users", "list").output
    assert cli(url, "users", "passwd", "nobody", "--password-stdin", stdin="x" * 12).exit_code == 2


def test_the_first_start_creates_admin_with_a_random_password_in_a_private_file(db, tmp_path, monkeypatch) -> None:
    _, engine = db
    monkeypatch.delenv("LANEWATCH_ADMIN_PASSWORD", raising=False)
    written = ensure_first_admin(engine, tmp_path)
    assert written == str(tmp_path / "first-admin-password.txt")
    path = tmp_path / "first-admin-password.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    password = path.read_text().strip()
    with Session(engine) as session:
        admin = session.exec(select(PersonRow)).one()
        assert (admin.username, admin.role, admin.org_pk) == ("admin", "admin", 1)
        assert passwords.verify(admin.password_hash, password) and accounts.must_change_password(admin)
    assert ensure_first_admin(engine, tmp_path) is None  # somebody exists: nothing more


def test_the_first_admin_takes_its_password_from_the_environment(db, tmp_path, monkeypatch) -> None:
    _, engine = db
    monkeypatch.setenv("LANEWATCH_ADMIN_PASSWORD", "chosen-by-deployer")
    assert ensure_first_admin(engine, tmp_path) is None
    assert not (tmp_path / "first-admin-password.txt").exists()
    with Session(engine) as session:
        admin = session.exec(select(PersonRow)).one()
        assert passwords.verify(admin.password_hash, "chosen-by-deployer")
    monkeypatch.setenv("LANEWATCH_ADMIN_PASSWORD", "short")
    with Session(engine) as session:
        session.delete(admin)
        session.commit()
    with pytest.raises(ValueError, match="至少需要 10 个字符"):
        ensure_first_admin(engine, tmp_path)


def test_a_second_process_making_the_first_admin_at_once_leaves_the_winners_password(db, tmp_path, monkeypatch) -> None:
    """Two centre processes started together on an empty database: the loser neither crashes nor replaces the
    winner's password file."""
    _, engine = db
    monkeypatch.delenv("LANEWATCH_ADMIN_PASSWORD", raising=False)
    create = accounts.create
    winner = tmp_path / "winner"
    winner.mkdir()

    def the_other_process_first(session, **kwargs):  # runs between this process's check and its insert
        monkeypatch.setattr(accounts, "create", create)
        assert ensure_first_admin(engine, winner) is not None
        return create(session, **kwargs)

    monkeypatch.setattr(accounts, "create", the_other_process_first)
    assert ensure_first_admin(engine, tmp_path) is None
    assert not list(tmp_path.glob("first-admin-password.txt*"))  # no file of a password that is not valid
    password = (winner / "first-admin-password.txt").read_text().strip()
    with Session(engine) as session:
        admin = session.exec(select(PersonRow)).one()
        assert passwords.verify(admin.password_hash, password)
