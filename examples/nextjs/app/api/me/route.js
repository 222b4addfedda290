// Who is signed in, with their Billflow hash. The hash comes from the bridge's POST /v1/hash,
// asked with the bridge's API key from the server's environment (never a NEXT_PUBLIC_
// variable: those are built into what the browser downloads).
import {signedIn} from '../../../lib/session.js';

export const dynamic = 'force-dynamic';

export async function GET() {
  const email = await signedIn();
  if (!email) return Response.json({error: 'Not signed in.'}, {status: 401});
  const bridge = (process.env.BILLFLOW_BRIDGE_URL || '').replace(/\/$/, '');
  const answer = await fetch(`${bridge}/v1/hash`, {
    method: 'POST',
    headers: {
      'Authorization': `Bearer ${process.env.BILLFLOW_BRIDGE_API_KEY}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({email}),
    cache: 'no-store',
  });
  if (!answer.ok) return Response.json({error: 'The bridge said no.'}, {status: 502});
  const made = await answer.json();
  return Response.json({email, hash: made.hash, expires_at: made.expires_at,
    billflow: `${bridge}/billflow`}, {headers: {'Cache-Control': 'no-store'}});
}
