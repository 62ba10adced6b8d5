"""The few GitHub REST calls the Action makes: list a pull request's comments, create one,
update one. httpx is imported here only (the Action's steps, never `offer --help`)."""

from __future__ import annotations

import re
from typing import Any

from offerlang.errors import OfferlangError

API_VERSION = "2022-11-28"


class ApiError(OfferlangError):
    """GitHub answered with an error, or could not be reached. `status` is None for the latter."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ReadOnly(ApiError):
    """The token may read but not write: a pull request from a fork, or `permissions:` without
    `pull-requests: write`."""


class GitHub:
    def __init__(self, api_url: str, token: str, repository: str, *, timeout: float = 30.0) -> None:
        import httpx

        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise ApiError(f"GITHUB_REPOSITORY is not owner/name: {repository!r}")
        self.repo = repository
        self.client = httpx.Client(
            base_url=api_url.rstrip("/"),
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "offerlang-action",
            },
        )

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx

        try:
            answer = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"{method} {url}: {type(exc).__name__}") from None
        if answer.status_code in (401, 403, 404) and method != "GET":
            # 403 "Resource not accessible by integration" is GitHub's word for a read-only
            # token; a fork's token may also see a 404 for what it may not touch.
            raise ReadOnly(f"{method} {url}: HTTP {answer.status_code}", answer.status_code)
        if answer.status_code >= 400:
            raise ApiError(f"{method} {url}: HTTP {answer.status_code}", answer.status_code)
        return answer

    def comments(self, number: int) -> list[dict[str, Any]]:
        """Every comment on pull request `number`, following the pages GitHub links to."""
        out: list[dict[str, Any]] = []
        url: str | None = f"/repos/{self.repo}/issues/{number}/comments?per_page=100"
        for _ in range(100):  # 10,000 comments: far more than any pull request has
            if url is None:
                break
            answer = self._call("GET", url)
            out += answer.json()
            url = answer.links.get("next", {}).get("url")
            if url is not None and not url.startswith(str(self.client.base_url).rstrip("/") + "/"):
                # The token goes with every request: never to a host a header names.
                raise ApiError(f"GitHub's next page is elsewhere: {url}")
        return out

    def create(self, number: int, body: str) -> dict[str, Any]:
        answer = self._call("POST", f"/repos/{self.repo}/issues/{number}/comments", json={"body": body})
        result: dict[str, Any] = answer.json()
        return result

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        answer = self._call("PATCH", f"/repos/{self.repo}/issues/comments/{comment_id}", json={"body": body})
        result: dict[str, Any] = answer.json()
        return result
