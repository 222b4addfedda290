import {signIn} from '../../../lib/session.js';

export async function POST(request) {
  const {email} = await request.json().catch(() => ({}));
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    return Response.json({error: 'Enter an email address.'}, {status: 400});
  }
  await signIn(email);
  return Response.json({email});
}
