/*
 * net.c - just enough rtnetlink to give a container a veth pair.
 *
 * `ip link`, `ip addr` and `ip route` are thin clients of one kernel
 * interface: rtnetlink, an AF_NETLINK socket of protocol NETLINK_ROUTE on
 * which a program sends requests and reads the kernel's answers as datagrams.
 * This file speaks it directly, as bubblewrap's network.c and
 * systemd-nspawn's nspawn-network.c do, so step05 forks no `ip`.
 *
 * A netlink message is a struct nlmsghdr (total length, type such as
 * RTM_NEWLINK, flags, sequence number, sender's port id), then the fixed
 * header of its family (struct ifinfomsg for links, ifaddrmsg for addresses,
 * rtmsg for routes), then attributes. An attribute is a type-length-value:
 * a struct rtattr (length, type), its value, padding to 4 bytes. An
 * attribute may hold other attributes (a "nest"): that is how a veth's peer
 * is described inside the new link's IFLA_LINKINFO.
 *
 * Read: netlink(7), rtnetlink(7), veth(4), network_namespaces(7), and the
 * uapi headers <linux/rtnetlink.h>, <linux/if_link.h>, <linux/veth.h>.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "err.h"

/* Our requests are under 200 bytes. A datagram of a dump is at most 8 KiB
 * (NLMSG_GOODSIZE) unless we read with a larger buffer; a larger datagram
 * would be cut (MSG_TRUNC), which nl_recv reports as EMSGSIZE. */
#define NL_MSG_MAX  512
#define NL_RECV_MAX 8192

/* The address pool (HACKING.md): 10.201.0.0/16 cut into /30 subnets. */
#define POOL_BASE  0x0ac90000u /* 10.201.0.0, host byte order */
#define POOL_SLOTS (1u << (30 - 16))
#define POOL_LAST  (POOL_BASE + 4 * POOL_SLOTS - 1)

#define LOCK_DIR     "/run/nsworkshop"
#define LOCK_FILE    LOCK_DIR "/net.lock"
#define LOCK_WAIT_MS 5000 /* a start holds the lock for milliseconds */

/* PF_KTHREAD, include/linux/sched.h: the flags of a kernel thread. */
#define PF_KTHREAD 0x00200000

/* The hint of the last failure, when it carries numbers. */
static char hint[160];

/* The unions give the buffers the alignment of struct nlmsghdr. */
union nl_msg {
	struct nlmsghdr h;
	char buf[NL_MSG_MAX];
};

union nl_rbuf {
	struct nlmsghdr h;
	char buf[NL_RECV_MAX];
};

/* Each request carries a new sequence number; the kernel copies it into its
 * answer, which lets us tell our answer from a stale one. */
static uint32_t nl_seq;

/* Start a request: netlink header, then the zeroed family header. */
static void *nl_msg_init(union nl_msg *m, uint16_t type, uint16_t flags,
			 size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = NLM_F_REQUEST | flags;
	return NLMSG_DATA(&m->h);
}

/* Append one attribute. Attributes appended next are nested in it until
 * nl_nest_end() sets its length to cover them. NULL/EMSGSIZE when full. */
static struct rtattr *nl_attr_add(union nl_msg *m, unsigned short type,
				  const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	struct rtattr *rta;

	if (len > sizeof(m->buf) || off + RTA_SPACE(len) > sizeof(m->buf)) {
		errno = EMSGSIZE;
		return NULL;
	}
	rta = (struct rtattr *)(m->buf + off);
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	m->h.nlmsg_len = off + RTA_SPACE(len);
	return rta;
}

/* Interface names travel as NUL-terminated strings. */
static struct rtattr *nl_attr_str(union nl_msg *m, unsigned short type,
				  const char *s)
{
	return nl_attr_add(m, type, s, strlen(s) + 1);
}

static void nl_nest_end(union nl_msg *m, struct rtattr *nest)
{
	nest->rta_len = m->buf + m->h.nlmsg_len - (char *)nest;
}

/* Send to port id 0, the kernel. A netlink datagram goes whole or not. */
static int nl_send(int nl, struct nlmsghdr *h)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;

	h->nlmsg_seq = ++nl_seq;
	do
		n = sendto(nl, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	return (size_t)n == h->nlmsg_len ? 0 : set_errno(EMSGSIZE);
}

/* Receive one datagram, which may hold several messages. A privileged
 * process may send to our port id too: only what comes from port 0 (the
 * kernel) is kept; anything else reads as an empty datagram. */
static int nl_recv(int nl, union nl_rbuf *r)
{
	struct sockaddr_nl from;
	struct iovec iov = {.iov_base = r->buf, .iov_len = sizeof(r->buf)};
	struct msghdr mh = {.msg_name = &from,
			    .msg_namelen = sizeof(from),
			    .msg_iov = &iov,
			    .msg_iovlen = 1};
	ssize_t n;

	do
		n = recvmsg(nl, &mh, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (mh.msg_flags & MSG_TRUNC)
		return set_errno(EMSGSIZE);
	return from.nl_pid == 0 ? (int)n : 0;
}

/* An answer ends with NLMSG_ERROR (a struct nlmsgerr) or, after a dump,
 * NLMSG_DONE. Both start with an int: 0 is success (the acknowledgement),
 * a negative value is -errno, the reason the kernel refused. */
static int nl_end(const struct nlmsghdr *h, int interrupted)
{
	int err;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
		return set_errno(EBADMSG);
	memcpy(&err, NLMSG_DATA(h), sizeof(err));
	if (err < 0)
		return set_errno(-err);
	return interrupted ? set_errno(EAGAIN) : 0;
}

/* Called for each message of an answer but the last. */
typedef void msg_fn(const struct nlmsghdr *h, void *arg);

/* Send M, then read datagrams until the message that ends our answer.
 * NLM_F_DUMP_INTR marks a dump that raced with a change in the kernel's
 * tables: the caller gets EAGAIN and may ask again. */
static int nl_talk(int nl, union nl_msg *m, msg_fn *fn, void *arg)
{
	union nl_rbuf r;
	struct nlmsghdr *h;
	int len, intr = 0;

	if (nl_send(nl, &m->h) == -1)
		return -1;
	for (;;) {
		len = nl_recv(nl, &r);
		if (len == -1)
			return -1;
		for (h = &r.h; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != m->h.nlmsg_seq)
				continue; /* left over from an earlier request */
			intr |= h->nlmsg_flags & NLM_F_DUMP_INTR;
			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_type == NLMSG_DONE)
				return nl_end(h, intr);
			if (fn)
				fn(h, arg);
		}
	}
}

/* One request, one verdict. Without NLM_F_ACK the kernel answers only
 * failures, and success would look like silence; with it, every request gets
 * an NLMSG_ERROR whose error is 0 on success. */
static int nl_request(int nl, union nl_msg *m)
{
	m->h.nlmsg_flags |= NLM_F_ACK;
	return nl_talk(nl, m, NULL, NULL);
}

static int ifindex(const char *name)
{
	unsigned int idx;

	if (!name || !*name || strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return set_errno(EINVAL);
	idx = if_nametoindex(name); /* ENODEV when there is no such link */
	return idx ? (int)idx : -1;
}

int nl_open(void)
{
	/* nl_pid 0 in bind: let the kernel choose our port id. */
	struct sockaddr_nl self = {.nl_family = AF_NETLINK};
	int fd, saved;

	/* The socket belongs to the network namespace we are in now. */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&self, sizeof(self)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * The message, as nested attributes:
 *
 *   RTM_NEWLINK  ifinfomsg  IFLA_IFNAME host_if
 *   IFLA_LINKINFO { IFLA_INFO_KIND "veth"
 *                   IFLA_INFO_DATA { VETH_INFO_PEER { ifinfomsg
 *                                                     IFLA_IFNAME peer_if
 *                                                     IFLA_NET_NS_PID pid } } }
 *
 * The peer is described like a link of its own (it starts with an
 * ifinfomsg). IFLA_NET_NS_PID makes the kernel create it directly in the
 * network namespace of that process (a PID as seen from our PID namespace).
 * Creating both ends here and moving one later would take two requests, and
 * "eth0" would first have to exist in our namespace, where the host most
 * likely has an eth0 already.
 *
 * NLM_F_CREATE | NLM_F_EXCL: create, and fail with EEXIST rather than
 * modify a link that already has the name.
 */
int net_veth_create(int nl, const char *host_if, const char *peer_if,
		    pid_t peer_pid)
{
	union nl_msg m;
	struct ifinfomsg *ifi, peer = {.ifi_family = AF_UNSPEC};
	struct rtattr *linkinfo, *data, *nest;
	uint32_t pid = peer_pid;

	if (!host_if || !peer_if || strnlen(host_if, IFNAMSIZ) >= IFNAMSIZ ||
	    strnlen(peer_if, IFNAMSIZ) >= IFNAMSIZ || peer_pid <= 0)
		return set_errno(EINVAL);
	ifi = nl_msg_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
			  sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (!nl_attr_str(&m, IFLA_IFNAME, host_if) ||
	    !(linkinfo = nl_attr_add(&m, IFLA_LINKINFO, NULL, 0)) ||
	    !nl_attr_str(&m, IFLA_INFO_KIND, "veth") ||
	    !(data = nl_attr_add(&m, IFLA_INFO_DATA, NULL, 0)) ||
	    !(nest = nl_attr_add(&m, VETH_INFO_PEER, &peer, sizeof(peer))) ||
	    !nl_attr_str(&m, IFLA_IFNAME, peer_if) ||
	    !nl_attr_add(&m, IFLA_NET_NS_PID, &pid, sizeof(pid)))
		return -1;
	nl_nest_end(&m, nest);
	nl_nest_end(&m, data);
	nl_nest_end(&m, linkinfo);
	return nl_request(nl, &m);
}

/* RTM_NEWLINK on an existing link changes it: ifi_change says which bits of
 * ifi_flags to apply, here only IFF_UP (what `ip link set X up` sends). */
int net_link_up(int nl, const char *ifname)
{
	union nl_msg m;
	struct ifinfomsg *ifi;
	int idx = ifindex(ifname);

	if (idx == -1)
		return -1;
	ifi = nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_request(nl, &m);
}

static uint32_t prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? ~0u : ~0u << (32 - prefix);
}

/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the other end on
 * a point-to-point link and the same address otherwise. With the prefix,
 * the kernel derives the connected route (proto kernel, scope link) while
 * the link is up. IFA_BROADCAST is the subnet's last address, as `ip addr
 * add A/P brd +` gives it: without it a broadcast (ARP of a /30's own
 * broadcast, a ping of it) goes nowhere. A /31 or /32 has none. */
int net_addr_add(int nl, const char *ifname, struct in_addr addr, int prefix)
{
	union nl_msg m;
	struct ifaddrmsg *ifa;
	uint32_t brd;
	int idx;

	if (prefix < 0 || prefix > 32)
		return set_errno(EINVAL);
	brd = htonl(ntohl(addr.s_addr) | ~prefix_mask(prefix));

	idx = ifindex(ifname);
	if (idx == -1)
		return -1;
	ifa = nl_msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL,
			  sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = idx;
	if (!nl_attr_add(&m, IFA_LOCAL, &addr, sizeof(addr)) ||
	    !nl_attr_add(&m, IFA_ADDRESS, &addr, sizeof(addr)) ||
	    (prefix < 31 && !nl_attr_add(&m, IFA_BROADCAST, &brd, sizeof(brd))))
		return -1;
	return nl_request(nl, &m);
}

/* 0.0.0.0/0 via GW. No output interface: the kernel finds it by looking GW
 * up, so GW must already be on a connected route (address added, link up),
 * or the answer is ENETUNREACH. RTPROT_BOOT is what `ip route add` marks. */
int net_route_default(int nl, struct in_addr gw)
{
	union nl_msg m;
	struct rtmsg *rt;

	rt = nl_msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
			 sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = 0;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	if (!nl_attr_add(&m, RTA_GATEWAY, &gw, sizeof(gw)))
		return -1;
	return nl_request(nl, &m);
}

/* Called with each configured subnet as a range [first, last], host order. */
typedef void range_fn(uint32_t first, uint32_t last, void *arg);

struct visit {
	range_fn *fn;
	void *arg;
};

/* One RTM_NEWADDR of the dump: report the subnet of its addresses. */
static void addr_visit(const struct nlmsghdr *h, void *arg)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct visit *v = arg;
	const struct rtattr *rta;
	int len = IFA_PAYLOAD(h);
	uint32_t a, mask;

	if (h->nlmsg_type != RTM_NEWADDR ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET)
		return;
	mask = prefix_mask(ifa->ifa_prefixlen);
	for (rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if ((rta->rta_type != IFA_LOCAL &&
		     rta->rta_type != IFA_ADDRESS) ||
		    RTA_PAYLOAD(rta) != sizeof(a))
			continue;
		memcpy(&a, RTA_DATA(rta), sizeof(a));
		a = ntohl(a);
		v->fn(a & mask, a | ~mask, v->arg);
	}
}

/* NLM_F_DUMP asks for every IPv4 address of the namespace, whatever the
 * link. The answer is a series of RTM_NEWADDR messages flagged NLM_F_MULTI,
 * over as many datagrams as needed, closed by NLMSG_DONE. */
static int addr_dump(int nl, range_fn *fn, void *arg)
{
	struct visit v = {.fn = fn, .arg = arg};
	union nl_msg m;
	struct ifaddrmsg *ifa;

	ifa = nl_msg_init(&m, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	return nl_talk(nl, &m, addr_visit, &v);
}

struct query {
	uint32_t first, last;
	int hit;
};

/* Two subnets overlap unless one ends before the other starts. */
static void query_match(uint32_t first, uint32_t last, void *arg)
{
	struct query *q = arg;

	if (first <= q->last && last >= q->first)
		q->hit = 1;
}

int net_addr_in_use(int nl, struct in_addr addr, int prefix, int *in_use)
{
	uint32_t a = ntohl(addr.s_addr), mask;
	struct query q = {0};

	if (prefix < 0 || prefix > 32)
		return set_errno(EINVAL);
	mask = prefix_mask(prefix);
	q.first = a & mask;
	q.last = a | ~mask;
	if (addr_dump(nl, query_match, &q) == -1)
		return -1;
	*in_use = q.hit;
	return 0;
}

/* A route of the dump with a prefix (a default route, 0.0.0.0/0, covers
 * every address and says nothing about who uses them): its destination,
 * host order, and its table; -1 for any other message. */
static int route_of(const struct nlmsghdr *h, uint32_t *dst, int *prefix,
		    uint32_t *table)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *rta;
	int len = RTM_PAYLOAD(h);

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) ||
	    rt->rtm_family != AF_INET || rt->rtm_dst_len == 0)
		return -1;
	*dst = 0;
	*table = rt->rtm_table;
	for (rta = RTM_RTA(rt); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) != sizeof(uint32_t))
			continue;
		if (rta->rta_type == RTA_DST)
			memcpy(dst, RTA_DATA(rta), sizeof(*dst));
		else if (rta->rta_type == RTA_TABLE) /* tables above 255 */
			memcpy(table, RTA_DATA(rta), sizeof(*table));
	}
	*prefix = rt->rtm_dst_len;
	*dst = ntohl(*dst) & prefix_mask(*prefix);
	return 0;
}

/* The first route, in any table, that overlaps the query. */
struct route_query {
	uint32_t first, last; /* the subnet asked about, host order */
	struct net_route *r;  /* the first route found, prefix 0: none */
};

static void route_visit(const struct nlmsghdr *h, void *arg)
{
	struct route_query *q = arg;
	uint32_t dst, table;
	int prefix;

	if (q->r->prefix || route_of(h, &dst, &prefix, &table) == -1)
		return;
	if (dst <= q->last && (dst | ~prefix_mask(prefix)) >= q->first) {
		q->r->dst.s_addr = htonl(dst);
		q->r->prefix = prefix;
		q->r->table = table;
	}
}

/* Every route of the dump, as the range of addresses it covers. */
static void route_range(const struct nlmsghdr *h, void *arg)
{
	const struct visit *v = arg;
	uint32_t dst, table;
	int prefix;

	if (route_of(h, &dst, &prefix, &table) == 0)
		v->fn(dst, dst | ~prefix_mask(prefix), v->arg);
}

/* A dump of RTM_GETROUTE without a table returns the routes of every
 * table (main, local, and those of policy routing), each message saying
 * which. */
static int route_dump(int nl, msg_fn *fn, void *arg)
{
	union nl_msg m;
	struct rtmsg *rt;

	rt = nl_msg_init(&m, RTM_GETROUTE, NLM_F_DUMP, sizeof(*rt));
	rt->rtm_family = AF_INET;
	return nl_talk(nl, &m, fn, arg);
}

int net_route_overlap(int nl, struct in_addr addr, int prefix,
		      struct net_route *r)
{
	uint32_t a = ntohl(addr.s_addr), mask = prefix_mask(prefix);
	struct route_query q = {a & mask, a | ~mask, r};

	memset(r, 0, sizeof(*r));
	return route_dump(nl, route_visit, &q);
}

/* One bit per /30 of the pool: 2 KiB for 16384 subnets. */
struct pool {
	uint8_t taken[POOL_SLOTS / 8];
};

static void pool_mark(uint32_t first, uint32_t last, void *arg)
{
	struct pool *p = arg;
	uint32_t i;

	if (last < POOL_BASE || first > POOL_LAST)
		return;
	first = first < POOL_BASE ? POOL_BASE : first;
	last = last > POOL_LAST ? POOL_LAST : last;
	for (i = (first - POOL_BASE) / 4; i <= (last - POOL_BASE) / 4; i++)
		p->taken[i / 8] |= 1u << (i % 8);
}

/* Two dumps mark every /30 that a configured subnet or a route of the
 * host touches (a VPN's 10.201.0.0/24, as Docker skips a pool that
 * overlaps a route); the first unmarked one wins. The host end of each
 * running container holds .1 of its /30 in our namespace, so the subnets
 * of running containers are marked. */
int net_pick_subnet(int nl, struct in_addr *host, struct in_addr *container,
		    int *prefix)
{
	struct pool p = {{0}};
	struct visit v = {.fn = pool_mark, .arg = &p};
	uint32_t i, net;

	if (addr_dump(nl, pool_mark, &p) == -1 ||
	    route_dump(nl, route_range, &v) == -1)
		return -1;
	for (i = 0; i < POOL_SLOTS; i++) {
		if (p.taken[i / 8] & (1u << (i % 8)))
			continue;
		net = POOL_BASE + 4 * i;
		host->s_addr = htonl(net + 1);
		container->s_addr = htonl(net + 2);
		*prefix = 30;
		return 0;
	}
	return set_errno(ENOSPC);
}

/* The PID that holds the flock(2) lock on FD, from /proc/locks (proc(5)):
 * "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; a process waiting
 * for it has "->" before FLOCK. 0 if none is found. */
static pid_t lock_holder(int fd)
{
	char line[256], kind[16];
	unsigned maj, min;
	unsigned long ino;
	struct stat st;
	pid_t holder = 0;
	int pid;
	FILE *f;

	if (fstat(fd, &st) == -1 || !(f = fopen("/proc/locks", "re")))
		return 0;
	while (!holder && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", kind, &pid,
			   &maj, &min, &ino) == 5 &&
		    strcmp(kind, "FLOCK") == 0 && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && ino == st.st_ino)
			holder = (pid_t)pid;
	fclose(f);
	return holder;
}

/* flock(2) locks belong to the open file description: closing the fd, or
 * the death of the process, releases the lock, so a crashed runtime never
 * leaves it held. A copy of the fd inherited by fork/clone holds it too.
 * A start holds it for milliseconds: one held for seconds is a process
 * stuck with it (stopped, say), so we give up after LOCK_WAIT_MS and say
 * who holds it, rather than hang behind it. */
int net_lock(pid_t *holder)
{
	int fd, saved, waited = 0, nap = 1;

	*holder = 0;
	/* chmod: mkdir's mode is filtered by the umask. */
	if (mkdir(LOCK_DIR, 0700) == 0) {
		if (chmod(LOCK_DIR, 0700) == -1)
			return -1;
	} else if (errno != EEXIST) {
		return -1;
	}
	fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK && waited < LOCK_WAIT_MS) {
			usleep((useconds_t)nap * 1000);
			waited += nap;
			nap = nap < 32 ? nap * 2 : 32;
			continue;
		}
		saved = errno == EWOULDBLOCK ? ETIMEDOUT : errno;
		if (saved == ETIMEDOUT)
			*holder = lock_holder(fd);
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int net_parse_cidr(const char *s, struct in_addr *addr, int *prefix)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash, *p;
	struct in_addr a;
	int n = 0;

	slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return set_errno(EINVAL);
	memcpy(ip, s, slash - s);
	ip[slash - s] = '\0';
	/* inet_pton, unlike inet_aton, takes exactly four decimal octets. */
	if (inet_pton(AF_INET, ip, &a) != 1)
		return set_errno(EINVAL);
	for (p = slash + 1; *p >= '0' && *p <= '9' && p - slash <= 2; p++)
		n = n * 10 + (*p - '0');
	if (p == slash + 1 || *p != '\0' || n < 1 || n > 30)
		return set_errno(EINVAL);
	/* The subnet's first and last addresses name the network and its
	 * broadcast: no interface may take them. */
	uint32_t host = ntohl(a.s_addr) & ~(~0u << (32 - n));
	if (host == 0 || host == ~(~0u << (32 - n)))
		return set_errno(EINVAL);
	*addr = a;
	*prefix = n;
	return 0;
}

int net_parse_ip(const char *arg, struct in_addr *addr, int *prefix,
		 struct err *e)
{
	uint32_t a;

	if (net_parse_cidr(arg, addr, prefix) == -1) {
		fail_errno(e, 0, "--ip", arg);
		e->hint = "not an IPv4 ADDR/PREFIX with a prefix of 1 to 30, "
			  "nor the subnet's network or broadcast address";
		return -1;
	}
	/* The host routes the subnet to the veth: only the workshop's own
	 * pool, never addresses that belong to someone (a public /30), nor
	 * a quarter of IPv4 (128.0.0.2/2), multicast or class E. */
	a = ntohl(addr->s_addr);
	if (*prefix < 16 || (a & 0xffff0000u) != POOL_BASE) {
		fail_errno(e, 0, "--ip", arg);
		e->hint = "outside the workshop's pool: a /16 to /30 of "
			  "10.201.0.0/16";
		return -1;
	}
	return 0;
}

/* With --ip: the host end takes the first address of the subnet, or the
 * second when the container asked for the first. */
static struct in_addr host_address(struct in_addr ip, int prefix)
{
	uint32_t mask = htonl(~0u << (32 - prefix));
	uint32_t first = (ip.s_addr & mask) + htonl(1);
	struct in_addr gw = {first == ip.s_addr ? first + htonl(1) : first};

	return gw;
}

/* The addresses of the pair: --ip's subnet if it is free on the host,
 * else the first free /30 of the pool. */
static int plan_addrs(int nl, struct in_addr ip, int prefix,
		      struct net_addrs *a, struct err *e)
{
	struct net_route route;
	int in_use, rc, tries = 0;

	/* A dump that raced with a change of the addresses ends in EAGAIN
	 * (NLM_F_DUMP_INTR, see nl_talk): it may be asked again at once. */
	if (!prefix) {
		while ((rc = net_pick_subnet(nl, &a->gw, &a->addr,
					     &a->prefix)) == -1 &&
		       errno == EAGAIN && ++tries < 3)
			;
		if (rc == -1) {
			fail(e, "pick a free subnet", "10.201.0.0/16");
			if (e->errnum == ENOSPC)
				e->hint = "every /30 of the pool is in use or "
					  "under a route of the host";
			return -1;
		}
		return 0;
	}
	while ((rc = net_addr_in_use(nl, ip, prefix, &in_use)) == -1 &&
	       errno == EAGAIN && ++tries < 3)
		;
	if (rc == -1)
		return fail(e, "RTM_GETADDR", inet_ntoa(ip));
	if (in_use) {
		fail_errno(e, EADDRINUSE, "--ip", inet_ntoa(ip));
		e->hint = "the subnet is in use on the host";
		return -1;
	}
	if (net_route_overlap(nl, ip, prefix, &route) == -1)
		return fail(e, "RTM_GETROUTE", inet_ntoa(ip));
	if (route.prefix) {
		fail_errno(e, EADDRINUSE, "--ip", inet_ntoa(ip));
		/* allow-snprintf: a cut hint still names the route */
		snprintf(hint, sizeof(hint),
			 "overlaps the host's route %s/%d (table %u)",
			 inet_ntoa(route.dst), route.prefix, route.table);
		e->hint = hint;
		return -1;
	}
	a->addr = ip;
	a->prefix = prefix;
	a->gw = host_address(ip, prefix);
	return 0;
}

/* net_lock(), or E names who holds it. */
static int take_lock(struct err *e)
{
	pid_t holder;
	int fd = net_lock(&holder);

	if (fd == -1) {
		fail(e, "lock", LOCK_FILE);
		if (holder > 0) {
			/* allow-snprintf: a cut hint still names the PID */
			snprintf(hint, sizeof(hint),
				 "held by PID %d for %d s: is it stuck?",
				 (int)holder, LOCK_WAIT_MS / 1000);
			e->hint = hint;
		}
	}
	return fd;
}

int net_setup_host(pid_t child, struct in_addr ip, int prefix,
		   struct net_addrs *a, struct err *e)
{
	int lock, nl = -1, rc = -1;
	char name[IF_NAMESIZE];

	lock = take_lock(e);
	if (lock == -1)
		return -1;
	nl = nl_open();
	if (nl == -1) {
		fail(e, "socket", "NETLINK_ROUTE");
		goto out;
	}
	if (plan_addrs(nl, ip, prefix, a, e) == -1)
		goto out;
	/* allow-snprintf: "nsw" and an int fit in IF_NAMESIZE (16) */
	snprintf(name, sizeof(name), "nsw%d", (int)child);
	trace("RTM_NEWLINK veth %s <-> eth0 in the namespace of %d", name,
	      (int)child);
	if (net_veth_create(nl, name, "eth0", child) == -1) {
		fail(e, "RTM_NEWLINK veth", name);
		goto out;
	}
	trace("RTM_NEWADDR %s %s/%d, RTM_NEWLINK up", name, inet_ntoa(a->gw),
	      a->prefix);
	if (net_addr_add(nl, name, a->gw, a->prefix) == -1 ||
	    net_link_up(nl, name) == -1) {
		fail(e, "RTM_NEWADDR", name);
		goto out;
	}
	rc = 0;
out:
	if (nl != -1)
		close(nl);
	close(lock);
	return rc;
}

int net_setup_container(int veth, const struct net_addrs *a, struct err *e)
{
	int nl, rc = -1;

	nl = nl_open();
	if (nl == -1)
		return fail(e, "socket", "NETLINK_ROUTE in the container");
	trace("RTM_NEWLINK lo up");
	if (net_link_up(nl, "lo") == -1) {
		fail(e, "RTM_NEWLINK up", "lo");
		goto out;
	}
	if (veth) {
		trace("RTM_NEWADDR eth0 %s/%d, RTM_NEWLINK up, RTM_NEWROUTE "
		      "default",
		      inet_ntoa(a->addr), a->prefix);
		if (net_addr_add(nl, "eth0", a->addr, a->prefix) == -1 ||
		    net_link_up(nl, "eth0") == -1) {
			fail(e, "RTM_NEWADDR", "eth0");
			goto out;
		}
		if (net_route_default(nl, a->gw) == -1) {
			fail(e, "RTM_NEWROUTE", "default");
			goto out;
		}
	}
	rc = 0;
out:
	close(nl);
	return rc;
}

int net_parse_mode(const char *arg, enum net_mode *mode, long *pid,
		   struct err *e)
{
	static const char *const names[] = {"veth", "none", "host"};
	char *end;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(arg, names[i]) == 0) {
			*mode = (enum net_mode)i;
			return 0;
		}
	}
	fail_errno(e, 0, "--net", arg);
	if (strncmp(arg, "container:", 10) != 0) {
		e->hint = "not veth, none, host or container:PID";
		return -1;
	}
	errno = 0;
	*pid = strtol(arg + 10, &end, 10);
	if (errno || end == arg + 10 || *end || *pid <= 0 || *pid > INT_MAX) {
		e->hint = "what follows container: is not a process ID";
		return -1;
	}
	*mode = NET_CONTAINER;
	return 0;
}

/* Is PID a kernel thread (PF_KTHREAD in field 9 of /proc/PID/stat)? Its
 * network namespace is the host's, whichever we are in. */
static int kernel_thread(long pid)
{
	char path[32], buf[512], *p;
	unsigned long flags = 0;
	ssize_t n;
	int fd;

	/* allow-snprintf: "/proc/", a long and "/stat" fit */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* after the command's name, which may hold ')': state, ppid, pgrp,
	 * session, tty, tpgid, then flags */
	p = strrchr(buf, ')');
	if (p)
		sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags);
	return (flags & PF_KTHREAD) != 0;
}

int net_open_ns(long pid, int *fd, unsigned long *ino, struct err *e)
{
	char path[64], what[32];
	struct stat st, ours;

	/* allow-snprintf: fits */
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd == -1 || fstat(*fd, &st) == -1)
		return fail(e, "open", path);
	*ino = (unsigned long)st.st_ino;
	/* A kernel thread, ourselves, any process in our own network
	 * namespace: joining it is --net host by another name, and should
	 * say so. */
	if (!kernel_thread(pid) &&
	    (stat("/proc/self/ns/net", &ours) == -1 ||
	     ours.st_ino != st.st_ino || ours.st_dev != st.st_dev))
		return 0;
	close(*fd);
	*fd = -1;
	/* allow-snprintf: fits */
	snprintf(what, sizeof(what), "container:%ld", pid);
	fail_errno(e, 0, "--net", what);
	e->hint = kernel_thread(pid)
		      ? "a kernel thread, in the host's network namespace: "
			"say --net host"
		      : "that process is in our own network namespace: say "
			"--net host";
	return -1;
}
