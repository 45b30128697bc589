"""What `portal deploy` cannot do for the operator, printed after every deploy (and by --dry-run), with the
values of the stack just deployed. The Stripe events come from the code that handles them."""
from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, TextIO

from chalicelib.adapters.stripe_events import HANDLED
from chalicelib.domain.policy import DEFAULT_POLICY
from portal.terminal import safe

if TYPE_CHECKING:
    from portal.deploy import Deployed, Profile

WEBHOOK_PATH = "/webhooks/stripe"


def print_todo(out: TextIO, profile: Profile, deployed: Deployed | None, site_bucket: bool) -> None:
    def p(line: str = "") -> None:
        print(safe(line), file=out)

    where = f"--stage {profile.stage} --region {profile.region}"
    api = (deployed.stack.outputs.get("EndpointURL", "") if deployed else "").rstrip("/") or "<EndpointURL output>"
    settings = deployed.stack.settings(deployed.template) if deployed else {}
    stripe_secret = settings.get("STRIPE_SECRET_ID", "<StripeSecretArn output>")
    sender_domain = DEFAULT_POLICY.sender.from_email.rsplit("@", 1)[-1]
    p()
    p("What is left for you to do (nothing here can do it for you):")
    p(f"1. Stripe webhook: in the Stripe Dashboard (Developers > Webhooks > Add endpoint) add {api}{WEBHOOK_PATH}")
    p(f"   with these {len(HANDLED)} events:")
    for line in textwrap.wrap(", ".join(sorted(HANDLED)), 96):
        p(f"     {line}")
    p(f"2. Stripe keys: put your secret key and that endpoint's signing secret into {stripe_secret}:")
    p(f"   .venv/bin/portal stripe-keys {where}   (reads sk_... then whsec_... from stdin)")
    p(f"3. SES: verify the domain you send from (the default policy sends from {sender_domain}; each broker sets")
    p("   its own sender with PUT /admin/policy): SES console > Identities > Create identity > Domain, then add")
    p("   its three DKIM CNAME records to your DNS. Then request production access (SES console > Account")
    p("   dashboard): until then SES sends only to verified addresses, 200 a day.")
    p("4. SMS (SNS): in the SNS console > Text messaging, leave the SMS sandbox, set the default message type")
    p("   to Transactional and a monthly spend limit, and register an origination number where the")
    p("   destination country requires one (US: toll-free or 10DLC).")
    if not site_bucket:
        p(f"5. The page: serve site/ at {profile.site_url} with /config.json {{\"api_url\": \"{api}\"}}")
    else:
        p(f"5. The page: point {profile.site_url} at the CloudFront distribution (DNS and a certificate).")
    p(f"6. The first broker: .venv/bin/portal broker create \"Your Company\" --email ar@your-domain {where}")
    p("   prints its API key once; then PUT /admin/policy with a sender at your verified domain.")
    p(f"   Its first owner: .venv/bin/portal user invite you@your-domain --name \"Your Name\" --role owner "
      f"--broker <broker id> {where}")
    p(f"   (Cognito emails a temporary password; they sign in at {profile.site_url}/console)")
