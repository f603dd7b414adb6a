// bcrypt hashes of a random string that matches no password, one per cost, precomputed because workerd
// forbids random numbers (and so bcrypt salts) at module scope. Comparing against the one at the
// configured cost makes an unknown email cost as much as a wrong password (ASVS 6.3.8).
export const DUMMY_HASHES: Readonly<Record<number, string>> = {
  4: '$2b$04$eycMzpOC3Q7rURRHDpclEuSrUDLZFgdKHWnpwU/9AUpuHwQl3bgGa',
  5: '$2b$05$Cl5nzh6xEMSIX.POE1BOYeswJi0boilZftK2MkGfKu7ryFmysOKDC',
  6: '$2b$06$67GOdZs6MFTZHMMoZjPxouS0Owgt5FUqV8c6uRJ5pUS.wMpf4MOeS',
  7: '$2b$07$iQkTJVYbHACv4g71TMiZj.DePrFKCD5uT62Hww4C/hT/Me1MTOP76',
  8: '$2b$08$S2e1wK6VX/XrnJOfog49jOxxJsj6iCyx5vGBTcZTTnBwwMXSFv9LK',
  9: '$2b$09$YyTvi1ZtIsUJGfwEhy5bMedwDeqKejuS0vKWzQgGGtOxd30kDv/RS',
  10: '$2b$10$elcqxKEN2/yHDp3/STXlnuiNHOkVDuRGo5zU1BZW16SB0h0Hs12da',
  11: '$2b$11$lyvhTkRAccrK7xJAyFCaJuCWkK/1adFTlMdWyp0xe/A2n6WQehd7q',
  12: '$2b$12$61g4iX8tM/Nd..c7goLH4OdLQaTLmtHic3UgXJg/usdy4CKT.b9GW',
  13: '$2b$13$z0xZUa8Ly6byc.RzC.Fj0.0K0VzmaT6CubxML80hw8B/a2d2FgzOq',
  14: '$2b$14$KeUzUtgfLW52ETWORVD6M.yyyqMtIZdncFz.MQBZvc056.5aDUq3y',
  15: '$2b$15$vFxB0v47y/TCOJ845U3PHOR/5Y14zh2awkWjeq8KRmMtoFfj4PX/K',
}
