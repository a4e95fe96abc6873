/**
 * @module
 * Client addresses: parsed however they are written, the identity a client's rate limits are
 * keyed by (an IPv6 client's whole /64), and the client behind trusted proxies
 * (TRUST_PROXY_CIDRS). Which address a runtime reports is its entry's business.
 */
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
/** A network: an address and its prefix length (TRUST_PROXY_CIDRS). */
export type AddressRange = [Address, number];

/**
 * Bits of an IPv6 address that one client is counted by: a subscriber is usually given a
 * whole /64, and can pick any of its 2^64 addresses per request.
 */
const IPV6_CLIENT_BITS = 64;

/** "203.0.113.5:1234" → "203.0.113.5", "[2001:db8::1]:443" → "2001:db8::1"; anything else as it is. */
function withoutPort(raw: string): string {
  const text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return bracketed[1]!;
  return /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text)?.[1] ?? text;
}

/** The address `raw` names (an IPv4-mapped IPv6 address as the IPv4 one), or undefined when it names none. */
function parseAddress(raw: string): Address | undefined {
  const text = withoutPort(raw);
  return ipaddr.isValid(text) ? ipaddr.process(text) : undefined;
}

/**
 * What a client's rate limits are keyed by: one spelling per address however it was written
 * (case, zeros, `::ffff:`-mapped IPv4, a port), and an IPv6 client's whole /64. Text that is
 * no address (a misconfigured proxy's header) is used as it is, trimmed and lower-cased.
 * @example clientIdentityOf("2001:DB8::1") === clientIdentityOf("2001:db8:0:0:ffff::9") // "2001:db8::/64"
 */
export function clientIdentityOf(raw: string | undefined): string {
  const address = raw === undefined ? undefined : parseAddress(raw);
  if (!address) return raw?.trim().toLowerCase() || "unknown";
  if (address instanceof ipaddr.IPv4) return address.toString();
  const network = new ipaddr.IPv6([...address.parts.slice(0, IPV6_CLIENT_BITS / 16), 0, 0, 0, 0]);
  return `${network.toString()}/${IPV6_CLIENT_BITS}`;
}

/** TRUST_PROXY_CIDRS entries (a CIDR, or one address) as ranges. @throws on an entry that is neither. */
export function parseRanges(entries: readonly string[]): AddressRange[] {
  return entries.map((entry) => {
    if (ipaddr.isValidCIDR(entry)) {
      const [network, bits] = ipaddr.parseCIDR(entry);
      // An IPv4-mapped range (::ffff:10.0.0.0/104) stands for the IPv4 one, as parsed addresses do.
      return network instanceof ipaddr.IPv6 && network.isIPv4MappedAddress() && bits >= 96
        ? [network.toIPv4Address(), bits - 96]
        : [network, bits];
    }
    const address = parseAddress(entry);
    if (!address) throw new Error(`${entry} is not an address or a CIDR range`);
    return [address, address.kind() === "ipv4" ? 32 : 128];
  });
}

const within = (address: Address, ranges: readonly AddressRange[]) =>
  ranges.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));

/**
 * The client of a request that may have come through trusted proxies: starting at the socket
 * peer and walking X-Forwarded-For from the right, every address in `trusted` is a proxy
 * that vouches for the entry to its left; the first one that is not (or does not parse) is
 * the client. A peer outside `trusted` is the client itself, whatever header it sent; when
 * every hop is trusted, the leftmost entry is. Written by hand: proxy-addr does this for
 * Node's IncomingMessage only, and the app sees Web Requests.
 * @example forwardedClient("10.0.0.2", "198.51.100.7, 10.0.0.1", parseRanges(["10.0.0.0/8"])) // "198.51.100.7"
 */
export function forwardedClient(peer: string, forwardedFor: string | undefined, trusted: readonly AddressRange[]): string {
  const hops = (forwardedFor ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  let client = peer;
  for (let next = hops.length - 1; next >= 0; next -= 1) {
    const address = parseAddress(client);
    if (!address || !within(address, trusted)) break;
    client = hops[next]!;
  }
  return client;
}
