"""Staff accounts: argon2 password hashes, roles, and the user object Flask-Login keeps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlite_utils import Database

ROLES = ("clinician", "admin")
MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong
# password and the timing does not tell which names exist.
_DUMMY_HASH = hasher.hash("not-a-real-password-only-for-timing")


class UserProblem(ValueError):
    """A username, password or role that cannot be used, said in one line."""


@dataclass
class StaffUser(UserMixin):
    id: int
    username: str
    role: str

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: dict) -> StaffUser:
    return StaffUser(id=row["id"], username=row["username"], role=row["role"])


def check_new_user(username: str, password: str, role: str) -> None:
    if not USERNAME.fullmatch(username):
        raise UserProblem(
            "the username must be 3 to 64 lower-case letters, digits, dots, dashes or underscores"
        )
    if role not in ROLES:
        raise UserProblem(f"the role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserProblem(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")


def create_user(
    db: Database, username: str, password: str, role: str, *, update: bool = False
) -> bool:
    """Add a user (or, with update, reset an existing one's password and role); True if new."""
    check_new_user(username, password, role)
    row = {
        "username": username,
        "password_hash": hasher.hash(password),
        "role": role,
        "active": 1,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    existing = list(db["staff_users"].rows_where("username = ?", [username]))
    if existing and not update:
        raise UserProblem(f"user {username} already exists (use --update to reset it)")
    with db.conn:
        if existing:
            # a reset password ends the sessions signed in with the old one
            db.execute(
                "UPDATE staff_users SET password_hash = ?, role = ?, active = 1,"
                " session_version = session_version + 1 WHERE username = ?",
                [row["password_hash"], role, username],
            )
        else:
            db.execute(
                "INSERT INTO staff_users (username, password_hash, role, active, created_at) "
                "VALUES (:username, :password_hash, :role, :active, :created_at)",
                row,
            )
    return not existing


def authenticate(db: Database, username: str, password: str) -> StaffUser | None:
    """The active user with this name and password, or None (same cost either way)."""
    rows = list(db["staff_users"].rows_where("username = ? AND active = 1", [username.lower()]))
    stored = rows[0]["password_hash"] if rows else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if not rows:
        return None
    if hasher.check_needs_rehash(stored):
        with db.conn:
            db.execute(
                "UPDATE staff_users SET password_hash = ? WHERE id = ?",
                [hasher.hash(password), rows[0]["id"]],
            )
    return _user(rows[0])


def load_user(db: Database, user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    rows = list(db["staff_users"].rows_where("id = ? AND active = 1", [int(user_id)]))
    return _user(rows[0]) if rows else None


def session_version(db: Database, user_id: int) -> int | None:
    """The user's current session version (None for no such user)."""
    row = db.execute("SELECT session_version FROM staff_users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else None


def end_sessions(db: Database, user_id: int) -> None:
    """Every session of this user ends at its next request."""
    with db.conn:
        db.execute(
            "UPDATE staff_users SET session_version = session_version + 1 WHERE id = ?",
            [user_id],
        )


def list_users(db: Database) -> list[dict]:
    return list(
        db.query("SELECT username, role, active, created_at FROM staff_users ORDER BY username")
    )
