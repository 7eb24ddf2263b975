using System.Runtime.InteropServices;

namespace Tem.Storage;

/// <summary>
/// Which file a path names: the device and inode on Linux (a replaced file has another inode), and on other systems
/// only whether it exists. Read with stat(2) into a buffer whose first 16 bytes are st_dev and st_ino on both
/// x86-64 and arm64 Linux.
/// </summary>
internal readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    public static FileIdentity? Of(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return new FileIdentity(0, 0);
        }

        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (Stat(path, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return File.Exists(path) ? new FileIdentity(0, 0) : null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return new FileIdentity(0, 0); // a C library without stat(): existence is all we can tell
        }

        return new FileIdentity(MemoryMarshal.Read<ulong>(buffer), MemoryMarshal.Read<ulong>(buffer[8..]));
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref byte buffer);
}
