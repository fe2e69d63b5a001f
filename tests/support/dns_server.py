"""A local stand-in for DNS: a UDP server on loopback that answers TXT
queries from a dict, so `check_mail_dns` runs with no internet.

    server = FakeDNS({"example.com": ["v=spf1 -all"]})
    call_command("check_mail_dns", "example.com", nameserver=server.address)
"""

from __future__ import annotations

import socket
import threading

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

# A TXT record's strings are at most 255 bytes each (RFC 1035); longer
# values, such as a DKIM key, are split as DNS servers split them.
CHUNK = 255


class FakeDNS:
    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = {
            name.lower().rstrip("."): values for name, values in records.items()
        }
        self.queries: list[str] = []
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.socket.getsockname()[1]}"
        self._running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self._running:
            try:
                wire, client = self.socket.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            (question,) = query.question
            name = question.name.to_text().lower().rstrip(".")
            self.queries.append(name)
            values = self.records.get(name)
            if values is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                texts = [
                    " ".join(
                        f'"{value[i : i + CHUNK]}"' for i in range(0, len(value), CHUNK)
                    )
                    for value in values
                ]
                response.answer.append(
                    dns.rrset.from_text_list(
                        question.name, 300, dns.rdataclass.IN, dns.rdatatype.TXT, texts
                    )
                )
            self.socket.sendto(response.to_wire(), client)

    def stop(self) -> None:
        self._running = False
        self.socket.close()
