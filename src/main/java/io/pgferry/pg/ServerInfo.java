package io.pgferry.pg;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Facts about a server and database that decide what pgferry may do with it. */
public record ServerInfo(int versionNum, String settingWalLevel, long databaseSizeBytes, String databaseName) {

    public int major() {
        return versionNum / 10000;
    }

    public static ServerInfo read(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT current_setting('server_version_num')::int, current_setting('wal_level'), "
                                + "pg_database_size(current_database()), current_database()")) {
            rs.next();
            return new ServerInfo(rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getString(4));
        }
    }

    public static int versionNum(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    public static String describe(int versionNum) {
        return (versionNum / 10000) + "." + (versionNum % 10000);
    }
}
