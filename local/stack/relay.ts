// A response whose body is passed through, with a callback once the body is relayed (or dropped):
// the functions server and the worker runner count requests in flight with it.

/** The worker's response, its body passed through; `done` runs once the body is relayed (or dropped). */
export function relay(res: Response, done: () => void): Response {
  if (!res.body) {
    done();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const r = await reader.read();
        if (r.done) {
          ctrl.close();
          done();
        } else ctrl.enqueue(r.value);
      } catch (e) {
        ctrl.error(e);
        done();
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
