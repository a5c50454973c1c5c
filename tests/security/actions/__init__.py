"""The write half of the permission matrix: every state-changing route × lifecycle state × role.

One module per topic (accounts, lots, cupping, trade, auctions, money, moderation) lists its
actions; ``base`` holds ``Action``, ``Ctx`` and the payload and effect helpers they share.

An ``Action`` is one way to change something: a route, an HTTP method, and (``label``) a variant
of the payload. It aims at an object of the world (``kind``, see ``build_states`` in conftest.py)
in each lifecycle state in which its owner may act (``states``: state -> the roles for whom the
action must HAPPEN there). Every (action, state, role) is one case:

- allowed (the role is in ``states[state]``): the answer is a success (2xx, or a redirect that
  is not the login page) and ``effect`` proves the action happened (the row changed as the action
  says, or the new row exists);
- blocked (the role is one of ``parties`` but not allowed in this state, e.g. the producer on a
  lot that is on auction, the buyer when it is the seller's turn): any answer below 500, and no
  row of the marketplace changed;
- refused (everyone else: an outsider, the second producer, a roaster who is not the buyer, the
  fresh unverified grader, anonymous): 401, 403, 404 or (pages) a redirect to the login page —
  or one of the action's ``refusal_codes`` where the route refuses that way (a 400 for an object
  named in the body) — and no row changed.

"No row changed" is a hash of every row of the marketplace's tables (tests/security/snapshot.py)
taken before and after the request.
"""

from __future__ import annotations

from tests.security.actions import accounts, auctions, competitions, cupping, lots, moderation, money, trade
from tests.security.actions.base import Action, Ctx, case_id

ACTIONS: list[Action] = [
    *accounts.ACTIONS,
    *lots.ACTIONS,
    *cupping.ACTIONS,
    *trade.ACTIONS,
    *auctions.ACTIONS,
    *money.ACTIONS,
    *moderation.ACTIONS,
    *competitions.ACTIONS,
]

__all__ = ["ACTIONS", "Action", "Ctx", "case_id"]
