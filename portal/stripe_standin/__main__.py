"""`python -m portal.stripe_standin --port 12111 --webhook-url URL --webhook-secret whsec_...`"""

from __future__ import annotations

import argparse
import logging
import threading

from portal.stripe_standin.server import DEFAULT_API_KEY, DEFAULT_WEBHOOK_SECRET, StripeStandIn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal.stripe_standin",
                                     description="Serve a local stand-in for the Stripe API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", help="where to POST signed events (none: events are only kept)")
    parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the sk_test_... key clients must send")
    parser.add_argument("--enabled-event", action="append", dest="enabled_events", metavar="TYPE",
                        help="deliver only these event types (repeatable; default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    standin = StripeStandIn(args.host, args.port, args.webhook_url, args.webhook_secret, args.api_key,
                            args.enabled_events or ("*",))
    standin.start()
    print(f"Stripe stand-in on {standin.url} (API key {standin.api_key}); "
          f"webhooks to {args.webhook_url or 'nowhere'}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
