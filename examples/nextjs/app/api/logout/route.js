import {signOut} from '../../../lib/session.js';

export async function POST() {
  await signOut();
  return Response.json({});
}
