"""Accounts: register / login by email and password, an api_token each, credits (MVSEP calls them
premium minutes), the premium and long-filenames switches. In the emulator every job is paid in
credits; "premium" (enable_premium) unlocks premium-only formats and algorithms and 10 concurrent
jobs instead of 1."""

from __future__ import annotations

import secrets
import threading
from dataclasses import asdict, dataclass

from .store import Store


@dataclass
class Account:
    email: str
    password: str
    name: str
    api_token: str
    credits: int = 0
    premium_enabled: bool = False
    long_filenames_enabled: bool = False
    creates: int = 0
    max_concurrent: int = 0

    def public(self) -> dict:
        """What login and app/user return (the token only to its owner, never logged)."""
        return {
            "name": self.name,
            "email": self.email,
            "api_token": self.api_token,
            "premium_minutes": self.credits,
            "premium_enabled": int(self.premium_enabled),
            "long_filenames_enabled": int(self.long_filenames_enabled),
        }


class NotEnoughCredits(Exception):
    pass


class Accounts:
    def __init__(self, store: Store):
        self._store = store
        self.lock = threading.RLock()
        self._by_token = {a["api_token"]: Account(**a) for a in store.all("account")}

    def _save(self, account: Account) -> None:
        self._store.put("account", account.api_token, asdict(account))

    def by_token(self, token: str | None) -> Account | None:
        return self._by_token.get(token or "")

    def by_email(self, email: str) -> Account | None:
        email = email.strip().lower()
        return next((a for a in list(self._by_token.values()) if a.email == email), None)

    def all(self) -> list[Account]:
        return list(self._by_token.values())

    def create(self, *, email: str, password: str, name: str = "", credits: int = 0,
               premium: bool = False) -> Account:
        with self.lock:
            email = email.strip().lower()
            if self.by_email(email):
                raise ValueError(f"the email {email} has already been taken")
            account = Account(
                email=email, password=password, name=name or email.split("@")[0],
                api_token=secrets.token_urlsafe(24), credits=credits, premium_enabled=premium,
            )
            self._by_token[account.api_token] = account
            self._save(account)
            return account

    def login(self, email: str, password: str) -> Account | None:
        account = self.by_email(email)
        if account and secrets.compare_digest(account.password, password):
            return account
        return None

    def update(self, account: Account, **changes) -> None:
        with self.lock:
            for key, value in changes.items():
                setattr(account, key, value)
            self._save(account)

    def charge(self, account: Account, credits: int) -> None:
        with self.lock:
            if account.credits < credits:
                raise NotEnoughCredits(
                    f"not enough credits: this job costs {credits}, the account has {account.credits}"
                )
            account.credits -= credits
            self._save(account)

    def refund(self, account: Account, credits: int) -> None:
        with self.lock:
            account.credits += credits
            self._save(account)

    def note_create(self, account: Account, running: int) -> None:
        """Counters for tests: creates, and the most jobs this account ever had running at once."""
        with self.lock:
            account.creates += 1
            account.max_concurrent = max(account.max_concurrent, running)
            self._save(account)
