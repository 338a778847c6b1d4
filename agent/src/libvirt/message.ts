/**
 * The message header and the error payload of libvirt's RPC (src/rpc/virnetprotocol.x):
 *
 *   struct virNetMessageHeader {
 *       unsigned prog;              // Unique ID for the program
 *       unsigned vers;              // Program version number
 *       int proc;                   // Unique ID for the procedure within the program
 *       virNetMessageType type;     // Type of message
 *       unsigned serial;            // Serial number of message.
 *       virNetMessageStatus status;
 *   };
 *   struct virNetMessageError {
 *       int code; int domain; virNetMessageString message; int level;
 *       virNetMessageDomain dom;    // unused
 *       virNetMessageString str1; virNetMessageString str2; virNetMessageString str3;
 *       int int1; int int2;
 *       virNetMessageNetwork net;   // unused
 *   };
 * where virNetMessageString is `virNetMessageNonnullString *` and the domain/network are
 * optional structs (name string, 16-byte uuid, and for a domain an int id).
 */
import { HEADER_BYTES, MessageStatus, MessageType, NET_STRING_MAX, VIR_UUID_BUFLEN } from './constants.js';
import { LibvirtProtocolError, type RemoteErrorInfo } from './errors.js';
import { encodeFrame } from './framing.js';
import { XdrReader } from './xdr.js';

export interface MessageHeader {
  prog: number;
  vers: number;
  proc: number;
  type: number;
  serial: number;
  status: number;
}

export interface Message {
  header: MessageHeader;
  /** The XDR payload after the header (a view into the frame). */
  payload: Buffer;
}

/** Splits one frame (from splitFrames) into header and payload. */
export function decodeMessage(frame: Buffer): Message {
  if (frame.length < HEADER_BYTES) throw new LibvirtProtocolError('TRUNCATED', `message of ${frame.length} bytes has no whole header`);
  const r = new XdrReader(frame, 0, HEADER_BYTES);
  const header: MessageHeader = { prog: r.uint(), vers: r.uint(), proc: r.int(), type: r.int(), serial: r.uint(), status: r.int() };
  if (header.type < MessageType.CALL || header.type > MessageType.REPLY_WITH_FDS) {
    throw new LibvirtProtocolError('BAD_VALUE', `message type ${header.type} unknown`);
  }
  if (header.status < MessageStatus.OK || header.status > MessageStatus.CONTINUE) {
    throw new LibvirtProtocolError('BAD_VALUE', `message status ${header.status} unknown`);
  }
  return { header, payload: frame.subarray(HEADER_BYTES) };
}

/** A whole length-prefixed message ready for the socket. */
export function encodeMessage(header: MessageHeader, payload: Buffer): Buffer {
  const body = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  body.writeUInt32BE(header.prog, 0);
  body.writeUInt32BE(header.vers, 4);
  body.writeInt32BE(header.proc, 8);
  body.writeInt32BE(header.type, 12);
  body.writeUInt32BE(header.serial, 16);
  body.writeInt32BE(header.status, 20);
  payload.copy(body, HEADER_BYTES);
  return encodeFrame(body);
}

const netString = (r: XdrReader): string => r.string(NET_STRING_MAX);

/** Decodes the virNetMessageError payload of a VIR_NET_ERROR reply. */
export function decodeRemoteError(payload: Buffer): RemoteErrorInfo {
  const r = new XdrReader(payload);
  const code = r.int();
  const domain = r.int();
  const message = r.optional(netString);
  const level = r.int();
  r.optional((d) => ({ name: netString(d), uuid: d.fixedOpaque(VIR_UUID_BUFLEN), id: d.int() }));
  const str1 = r.optional(netString);
  const str2 = r.optional(netString);
  const str3 = r.optional(netString);
  const int1 = r.int();
  const int2 = r.int();
  r.optional((n) => ({ name: netString(n), uuid: n.fixedOpaque(VIR_UUID_BUFLEN) }));
  r.expectEnd();
  return { code, domain, message, level, str1, str2, str3, int1, int2 };
}
