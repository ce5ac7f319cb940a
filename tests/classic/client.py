# The assignment's client.py (Assignment 3, "Solving NAT traversal problems"),
# reconstructed from its printed text in shared/seed/assignment-nat-traversal.md.
# It is kept as the reference peer for interoperability tests: its behaviour,
# weaknesses included (fixed port 10081, substring matching of messages, no
# answer expected from anyone), is deliberately unchanged.
#
# Assembly: the printed fragments are explanation-ordered; the functions come
# first because the trailing module-level main() call needs recvExecute and
# cmdExecute to exist already.
#
# Mended transcription slips (printed -> became, why):
# - `clientSocket.bind("", 10081)` -> `bind(("", 10081))`: socket.bind takes
#   one address tuple; as printed it raises TypeError.
# - recvExecute: `split("is")[0][:1]` -> `[:-1]`: "[:1]" keeps only the first
#   letter of the ID, so `del registerList[userID]` raised KeyError; "[:-1]"
#   strips the space before "is", as the text intends.
# - recvExecute: `elif "@chat"`, `elif "@private"` and `else` were nested under
#   `if clientID not in ...` -> moved to the outer `if "unregistered" ...`
#   chain; as printed, chats and registrations were never handled, which
#   contradicts the text and the printed @show_list / "From client2" runs.
#
# Not mended, on purpose:
# - `main()` stays at module level after the __main__ block, as printed: it
#   runs correctly when the file is run as a script, which is how it is used.
# - No daemon thread or socket timeout: after @exit the receive thread is still
#   blocked in recvfrom, but the printed server sends "<ID> is unregistered"
#   to every registered client, the leaver included (it is deleted only after
#   that broadcast), so that datagram wakes the thread, which then sees
#   stop == True and returns. The printed run shows the shell prompt right
#   after @exit. Against a server that does not echo it, the client hangs.
from socket import *
from threading import Thread, Timer

registerList = {}
privateList = {}
stop = False


def main():
    recvThread = Thread(target=recvExecute, args=(clientSocket, clientID))
    cmdThread = Thread(target=cmdExecute, args=(clientSocket, clientID))

    recvThread.start()
    cmdThread.start()


def recvExecute(clientSocket, clientID):
    global stop

    while True:
        if stop == True: return

        message, serverAddr = clientSocket.recvfrom(2048)

        #print(message.decode())

        if "unregistered" in message.decode() or "off-line" in message.decode():
            if clientID not in message.decode():
                userID=message.decode().split("is")[0][:-1]
                del registerList[userID]
                if userID in privateList:
                    del privateList[userID]

        elif "@chat" in message.decode():
            fromID = message.decode().split("@chat")[0]
            msg = message.decode().split("@chat ")[1]
            print("From " + fromID + " [" + msg + "]")

        elif "@private" in message.decode():
            userID = message.decode().split("@private:")[0]
            privateAddr = message.decode().split("@private:")[1]
            privateList[userID] = privateAddr

        else:
            msgID = message.decode().split(" ")[0]
            msgAddr = message.decode().split(" ")[1]
            registerList[msgID] = msgAddr


def cmdExecute(clientSocket, clientID):
    global stop

    while True:
        command = input("")

        if command == '@exit':
            clientSocket.sendto((clientID + " " + command).encode(), (serverAddr, 10080))
            stop = True
            timer.cancel()
            return

        elif command == '@show_list':
            for i in range(0, len(registerList)):
                print(list(registerList.keys())[i] + " " + list(registerList.values())[i])

        elif "@chat" in command:
            msgID = command.split(" ")[1]
            content = command.split(msgID + " ")[1]

            # under the same NAT
            if msgID in privateList:
                addr = privateList.get(msgID)
                clientSocket.sendto((clientID + '@chat ' + content).encode(), (addr, 10081))

            else:
                if msgID in registerList:
                    addrport = registerList.get(msgID)
                    addr = addrport.split(':')[0]
                    port = int(addrport.split(':')[1])
                    clientSocket.sendto((clientID + '@chat ' + content).encode(), (addr, port))

                else:
                    print("There is no " + msgID + " in registration list.")


def keepTimer():
    global timer

    clientSocket.sendto((clientID + "@keepalive").encode(), (serverAddr, 10080))
    timer = Timer(10, keepTimer)
    timer.start()


if __name__ == '__main__':
    clientID=input("Enter client ID: ")
    serverAddr=input("Enter server IP address: ")

    clientSocket = socket(AF_INET, SOCK_DGRAM)
    clientSocket.bind(("", 10081))

    # get private IP address
    ipSocket = socket(AF_INET, SOCK_DGRAM)
    ipSocket.connect((serverAddr, 80))
    privateIP = ipSocket.getsockname()[0]
    #print(privateIP)

    clientSocket.sendto((clientID + " " + privateIP).encode(), (serverAddr, 10080))

    timer = Timer(10, keepTimer)
    timer.start()

main()
