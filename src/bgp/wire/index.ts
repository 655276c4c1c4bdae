/**
 * The BGP-4 wire codec: message types (`types.ts`), code tables, errors, the framer and
 * `decodeMessage` / `encodeMessage`, plus the pure helpers the state machine, the session and the
 * Adj-RIB-Out use (OPEN validation and negotiation, End-of-RIB, shutdown communication, sizes).
 *
 * Packing UPDATEs (for the Adj-RIB-Out): an UPDATE takes `updateEncodedSize(msg, opts)` octets,
 * which is 23 + `attributesEncodedSize(attrs)` + the sum of `prefixEncodedSize(p)` over withdrawn
 * routes and NLRI. For IPv6 the prefixes sit inside MP_REACH_NLRI / MP_UNREACH_NLRI: each adds
 * `prefixEncodedSize(p)` to that attribute's value, and once the value passes 255 octets the
 * attribute header grows by one octet (extended length). Fill until the next prefix would pass
 * `maxMessageSize(opts)` (4096, or 65535 with RFC 8654); `encodeMessage` throws past it.
 * The encoder writes attributes in the order given; `canonicalAttributeOrder` puts MP_REACH_NLRI /
 * MP_UNREACH_NLRI first (RFC 7606 §5.1) and the rest in type order.
 *
 * Normalisation on decode (what a round trip of foreign bytes does not keep): the Extended Length
 * flag is recomputed (set only past 255 octets), the unused low four flag bits are dropped, the
 * trailing bits of a prefix are cleared, the reserved octets of MP_REACH_NLRI and the multiprotocol
 * capability are written as 0, and an OPEN's parameters use the RFC 9072 encoding only when needed.
 * AS4_PATH / AS4_AGGREGATOR are decoded on any session; RFC 6793 §4.2.3 merging (and ignoring them
 * from a 4-octet speaker) is left to the receiver of the routes.
 */
export type * from './types.js';
export { AFI, SAFI, AS_TRANS } from './types.js';
export * from './codes.js';
export { BGP_ERRORS, bgpError, notificationFor, type BgpErrorReason } from './errors.js';
export { decodeMessage, encodeMessage, encodeMessageInto, encodeUpdateFromPartsInto } from './message.js';
export { maxMessageSize } from './header.js';
export { MessageFramer, type FrameResult } from './framer.js';
export { BufferReader } from './buffer-reader.js';
export { BufferWriter } from './buffer-writer.js';
export { capabilitiesOf, peerAsOf, negotiateCodecOptions, validateOpen, type OpenExpectations } from './open.js';
export { validateUpdate, updateEncodedSize, type UpdateContext } from './update.js';
export { attributeEncodedSize, attributesEncodedSize, attributeValueSize, canonicalAttributeOrder } from './path-attributes.js';
export { prefixEncodedSize, encodePrefix } from './nlri.js';
export { endOfRib, endOfRibFamily, endOfRibOf } from './end-of-rib.js';
export { routeRefresh } from './route-refresh.js';
export {
  shutdownNotification,
  readShutdownCommunication,
  SHUTDOWN_COMMUNICATION_MAX,
  type ShutdownCommunication,
} from './notification.js';
export {
  parseCommunityText,
  parseCommunity,
  parseLargeCommunity,
  formatCommunityValue,
  formatLargeCommunity,
  type CommunityText,
  type CommunityTextParse,
  type CommunityTextOptions,
} from './community-text.js';
