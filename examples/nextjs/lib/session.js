// The sample's stand-in sign-in, on the server only: the session cookie is the email and an
// HMAC of it, so every route handler can read it without shared memory. A real site keeps
// its own login.
import {createHmac, timingSafeEqual} from 'node:crypto';
import {cookies} from 'next/headers';

const NAME = 'sample_session';
const secret = () => {
  const found = process.env.SAMPLE_SESSION_SECRET;
  if (!found) throw new Error('Set SAMPLE_SESSION_SECRET (any long random string).');
  return found;
};
const sign = (email) => createHmac('sha256', secret()).update(email).digest('base64url');

export async function signIn(email) {
  const value = `${Buffer.from(email).toString('base64url')}.${sign(email)}`;
  (await cookies()).set(NAME, value, {httpOnly: true, sameSite: 'lax', path: '/'});
}

export async function signOut() {
  (await cookies()).delete(NAME);
}

export async function signedIn() {
  const [name, mac] = ((await cookies()).get(NAME)?.value || '').split('.');
  if (!name || !mac) return null;
  const email = Buffer.from(name, 'base64url').toString();
  const expected = Buffer.from(sign(email));
  const given = Buffer.from(mac);
  return expected.length === given.length && timingSafeEqual(expected, given) ? email : null;
}
