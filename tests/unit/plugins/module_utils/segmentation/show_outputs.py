# SPDX-License-Identifier: GPL-3.0-or-later
"""Show output as the lab's Catalyst 2960-X and ProCurve 2530 print it (the same text the
real devices print), captured once; secrets replaced by placeholders."""

from __future__ import annotations

IOS_RUNNING = """Building configuration...

Current configuration : 1244 bytes
!
version 15.2
no service pad
service timestamps debug datetime msec
service timestamps log datetime msec
service password-encryption
!
hostname SW-CISCO
!
boot-start-marker
boot-end-marker
!
enable secret 9 $9$SALTSALTSALTSA$PLACEHOLDERPLACEHOLDERPLACEHOLDERPLACEHOL
!
username admin privilege 1 secret 9 $9$SALTSALTSALTSA$PLACEHOLDERPLACEHOLDERPLACEHOLDERPLACEHOL
no aaa new-model
switch 1 provision ws-c2960x-48fpd-l
!
no ip domain-lookup
vtp mode transparent
!
spanning-tree mode rapid-pvst
spanning-tree extend system-id
!
vlan 20
!
interface GigabitEthernet1/0/1
 switchport mode access
!
interface GigabitEthernet1/0/2
 switchport access vlan 20
 switchport mode access
!
interface GigabitEthernet1/0/3
 switchport mode access
!
interface GigabitEthernet1/0/4
 switchport mode access
!
interface GigabitEthernet1/0/5
 switchport mode access
!
interface GigabitEthernet1/0/6
 switchport mode access
!
interface GigabitEthernet1/0/7
 switchport mode access
!
interface GigabitEthernet1/0/8
 switchport trunk allowed vlan 1,20
 switchport mode trunk
!
interface Vlan1
 no ip address
!
ip http server
ip http secure-server
!
line con 0
line vty 0 4
 login local
 transport input ssh
line vty 5 15
 login local
 transport input ssh
!
end

"""

IOS_VLANS = """
VLAN Name                             Status    Ports
---- -------------------------------- --------- -------------------------------
1    default                          active    Gi1/0/1, Gi1/0/3, Gi1/0/4, Gi1/0/5
                                                Gi1/0/6, Gi1/0/7
20   VLAN0020                         active    Gi1/0/2
1002 fddi-default                     act/unsup
1003 token-ring-default               act/unsup
1004 fddinet-default                  act/unsup
1005 trnet-default                    act/unsup
"""

IOS_MACS = """          Mac Address Table
-------------------------------------------

Vlan    Mac Address       Type        Ports
----    -----------       --------    -----
 All    0100.0ccc.cccc    STATIC      CPU
 All    0100.0ccc.cccd    STATIC      CPU
 All    0180.c200.0000    STATIC      CPU
 All    0180.c200.0002    STATIC      CPU
   1    001a.2b00.0001    DYNAMIC     Gi1/0/1
   1    001a.2b00.0003    DYNAMIC     Gi1/0/3
   1    001a.2b00.000a    DYNAMIC     Gi1/0/8
  20    001a.2b00.0002    DYNAMIC     Gi1/0/2
  20    001a.2b00.000b    DYNAMIC     Gi1/0/8
Total Mac Addresses for this criterion: 9
"""

HP_RUNNING = """
Running configuration:

; J9775A Configuration Editor; Created on release #YA.16.10.0009
; Ver #14:01.4f.f8.1d.9b.3f.bf.bb.ef.7c.59.fc.6b.fb.9f.fc.ff.ff.37.ef:05

hostname "SW-HP"
module 1 type j9775a
no telnet-server
ip ssh
snmp-server community "public" unrestricted
vlan 1
   name "DEFAULT_VLAN"
   untagged 1,3-8
   ip address dhcp-bootp
   exit
vlan 20
   name "VLAN20"
   untagged 2
   tagged 8
   no ip address
   exit
password manager

"""

HP_VLANS = """
 Status and Counters - VLAN Information

  Maximum VLANs to support : 256
  Primary VLAN : DEFAULT_VLAN
  Management VLAN :

  VLAN ID Name                             | Status     Voice Jumbo
  ------- -------------------------------- + ---------- ----- -----
  1       DEFAULT_VLAN                     | Port-based No    No
  20      VLAN20                           | Port-based No    No

"""

HP_MACS = """
 Status and Counters - Port Address Table

  MAC Address   Port   VLAN
  ------------- ------ ----
  001a2b-000001 1      1
  001a2b-000003 3      1
  001a2b-00000a 8      1
  001a2b-000002 2      20
  001a2b-00000b 8      20

"""
