/*
 * xsdbd.h - the interface between the files of the daemon.
 */
#ifndef XSDBD_H
#define XSDBD_H

#endif /* XSDBD_H */
