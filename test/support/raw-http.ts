import { request, type IncomingHttpHeaders } from "node:http";

interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  /** Names and values as they came, repeated headers (Set-Cookie) each on its own. */
  rawHeaders: string[];
  body: Buffer;
}

/**
 * One HTTP/1.1 exchange with a loopback server through node:http (on Node, Bun and Deno):
 * exactly the headers given (plus Host and Connection), the body bytes as they came on the
 * wire — unlike fetch, which adds Accept-Encoding and (in Deno always) decompresses.
 */
function exchange(port: number, options: { method?: string; path: string; headers: Record<string, string>; body?: Uint8Array }) {
  return new Promise<Exchange>((resolve, reject) => {
    const { body, ...rest } = options;
    request({ host: "127.0.0.1", port, ...rest }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          rawHeaders: response.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
    })
      .on("error", reject)
      .end(body);
  });
}

/** A raw GET on loopback, so the test sees the bytes on the wire (fetch would decompress them). */
export const rawGet = (port: number, path: string, headers: Record<string, string>) => exchange(port, { path, headers });

/** `request` sent to the loopback server on `port` as a raw exchange (its URL's path and query only); the answer as a Response. */
export async function rawFetch(port: number, request: Request): Promise<Response> {
  const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
  const url = new URL(request.url);
  const headers = Object.fromEntries(request.headers);
  if (body) headers["content-length"] = String(body.length);
  const answer = await exchange(port, { method: request.method, path: url.pathname + url.search, headers, body });
  const responseHeaders = new Headers();
  for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) responseHeaders.append(answer.rawHeaders[i]!, answer.rawHeaders[i + 1]!);
  const empty = request.method === "HEAD" || answer.status === 204 || answer.status === 304;
  return new Response(empty ? null : answer.body, { status: answer.status, headers: responseHeaders });
}
