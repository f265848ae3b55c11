/*
 * net.h - the rtnetlink helper of step05: a veth pair, an address, a route.
 *
 * Two layers. The nl_ and net_ calls behave like system calls: 0 (or a file
 * descriptor) on success, -1 with errno set on failure; an error reported by
 * the kernel in a netlink answer becomes errno. net_setup_host() and
 * net_setup_container() build the container's network from them and fill
 * a struct err (err.h). Nothing here prints or exits.
 *
 * A netlink socket talks to the network namespace it was created in, for its
 * whole life, whatever setns(2) the process does afterwards. Interface names
 * are turned into indexes with if_nametoindex(3), which asks the namespace the
 * calling thread is in *now*. So open the socket in the namespace you want to
 * configure (after setns), and use it there.
 */
#ifndef NSW_NET_H
#define NSW_NET_H

#include <netinet/in.h>
#include <sys/types.h>

#include "err.h"

/* Open a NETLINK_ROUTE socket (SOCK_CLOEXEC) bound to the caller's current
 * network namespace. Returns the fd or -1. */
int nl_open(void);

/* One RTM_NEWLINK that creates a veth pair: HOST_IF stays in the caller's
 * namespace, PEER_IF is created directly in the network namespace of process
 * PEER_PID (IFLA_NET_NS_PID inside VETH_INFO_PEER). There is no delete:
 * when either end's namespace dies, the kernel destroys the pair. */
int net_veth_create(int nl, const char *host_if, const char *peer_if,
		    pid_t peer_pid);

/* Bring a link up (IFF_UP via RTM_NEWLINK / ifi_change). */
int net_link_up(int nl, const char *ifname);

/* Add ADDR/PREFIX (IPv4) to a link (RTM_NEWADDR, with IFA_LOCAL,
 * IFA_ADDRESS and, below /31, IFA_BROADCAST; the kernel adds the connected
 * route once the link is up). */
int net_addr_add(int nl, const char *ifname, struct in_addr addr, int prefix);

/* Default route via GW (RTM_NEWROUTE, main table, RTPROT_BOOT, scope
 * universe). GW must be reachable: its link up and its subnet configured. */
int net_route_default(int nl, struct in_addr gw);

/* Is ADDR assigned to any interface of the caller's namespace, or inside any
 * IPv4 subnet assigned here? (RTM_GETADDR dump). Sets *in_use to 1/0.
 * PREFIX (0..32) widens the question to the whole subnet ADDR/PREFIX.
 * EAGAIN: the dump raced with a change of the addresses; ask again. */
int net_addr_in_use(int nl, struct in_addr addr, int prefix, int *in_use);

/* A route of the host's (net_route_overlap): DST/PREFIX in TABLE. */
struct net_route {
	struct in_addr dst;
	int prefix; /* 0: no route */
	unsigned table;
};

/* Find a route whose destination has a prefix above 0 (not a default
 * route) and overlaps ADDR/PREFIX, in any routing table (RTM_GETROUTE
 * dump): the first one into *R, R->prefix 0 when there is none. */
int net_route_overlap(int nl, struct in_addr addr, int prefix,
		      struct net_route *r);

/* Choose a free /30 of the pool 10.201.0.0/16 (HOST gets .1, CONTAINER .2 of
 * the /30): the first /30 none of whose addresses overlaps an address or
 * subnet configured in the caller's namespace, or a route of any of its
 * tables but a default route. ENOSPC when the pool is full.
 * The caller holds the allocation lock (see net_lock). EAGAIN as above. */
int net_pick_subnet(int nl, struct in_addr *host, struct in_addr *container,
		    int *prefix);

/* Take the allocation lock: open (O_CLOEXEC, creating /run/nsworkshop mode
 * 0700 if needed) /run/nsworkshop/net.lock and flock(LOCK_EX) it, waiting 5
 * s at most. Returns the fd (release = close) or -1; ETIMEDOUT: another
 * process held it all along, *HOLDER (0: unknown). */
int net_lock(pid_t *holder);

/* Parse "A.B.C.D/P" (P 1..30, not the network or broadcast address of
 * the subnet) into ADDR and PREFIX; -1 with EINVAL on any
 * malformed input (missing or out-of-range prefix, octet > 255, fewer or
 * more than four octets, trailing characters). Nothing is written then. */
int net_parse_cidr(const char *s, struct in_addr *addr, int *prefix);

/* --ip ARG: net_parse_cidr(), and a subnet of the workshop's pool
 * 10.201.0.0/16 (the runtime routes it to the veth on the host). */
int net_parse_ip(const char *arg, struct in_addr *addr, int *prefix,
		 struct err *e);

/* Docker's network modes: --net veth (the default), none, host or
 * container:PID. */
enum net_mode { NET_VETH, NET_NONE, NET_HOST, NET_CONTAINER };

/* --net ARG into *MODE, and *PID for container:PID. */
int net_parse_mode(const char *arg, enum net_mode *mode, long *pid,
		   struct err *e);

/* --net container:PID: open /proc/PID/ns/net now, while the process exists,
 * into *FD (the child joins it with setns(2)), and its inode into *INO. A
 * kernel thread or a process in our own network namespace is refused: that
 * is --net host. */
int net_open_ns(long pid, int *fd, unsigned long *ino, struct err *e);

/* The addresses of a veth pair: eth0's ADDR/PREFIX in the container and
 * the host end's GW, its default route. */
struct net_addrs {
	struct in_addr addr;
	struct in_addr gw;
	int prefix;
};

/*
 * The host side of --net veth, run by the parent once the child exists
 * (its network namespace is made by clone). Under the allocation lock, so
 * that two containers started at once get different subnets: pick a free
 * /30 (or, with PREFIX > 0, check that IP/PREFIX is free: no address of the
 * host in it, no route of the host over it), create the pair
 * with eth0 directly in CHILD's namespace, address and bring up the host
 * end, nsw<CHILD>. A receives the container's addresses.
 */
int net_setup_host(pid_t child, struct in_addr ip, int prefix,
		   struct net_addrs *a, struct err *e);

/*
 * The container's side, run by the child in its new network namespace: lo
 * up, and with VETH eth0 addressed with A, up, and a default route via the
 * host end. The link must be up before the route: the kernel adds the
 * connected route of eth0's subnet only then, and the gateway must be
 * reachable.
 */
int net_setup_container(int veth, const struct net_addrs *a, struct err *e);

#endif
